/**
 * `npm run bench:workerd` — the full verification pipeline inside workerd (the Worker's runtime),
 * with the in-memory store: requests per second of one isolate, for P-256, RSA-2048 and brainpool
 * sandbox cards. Timed from outside (workerd's clocks stand still during computation): a run of N
 * pre-signed requests minus a run of 1. Prints a table and one JSON line.
 */
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { bundleForWorkerd, workerCompatibility } from '../infra/src/bundle.ts';

const N = Number(process.env.BENCH_WORKERD_N ?? 400);
const script = await bundleForWorkerd(new URL('./workerd/pipeline-probe.ts', import.meta.url).pathname);
const mf = new Miniflare({
  modules: true,
  script,
  ...workerCompatibility(),
  // The Worker's one-line request logs: drained, not printed (they are still produced, as in production).
  handleRuntimeStdio(stdout: Readable, stderr: Readable) {
    stdout.resume();
    stderr.resume();
  },
});
const call = async (body: unknown) => {
  const res = await mf.dispatchFetch('http://bench/', { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`probe: ${res.status} ${await res.text()}`);
  return (await res.json()) as { prepared?: number; verified?: number };
};
async function timedRun(profile: string, n: number): Promise<number> {
  await call({ mode: 'prepare', n, profile });
  const t0 = performance.now();
  const { verified } = await call({ mode: 'run', n, profile });
  const ms = performance.now() - t0;
  if (verified !== n) throw new Error(`${profile}: ${verified}/${n} verified`);
  return ms;
}

const rows: Record<string, string | number>[] = [];
const json: Record<string, number> = {};
for (const profile of ['valid', 'valid-rsa', 'valid-brainpool']) {
  const n = profile === 'valid-brainpool' ? Math.max(50, N / 4) : N;
  await timedRun(profile, Math.min(50, n)); // warm-up: JIT, caches, trust store
  const one = await timedRun(profile, 1);
  const ms = (await timedRun(profile, n)) - one;
  const perSec = (n * 1000) / ms;
  rows.push({
    card: profile,
    verifications: n,
    'per second': Math.round(perSec),
    'ms each': Number((ms / n).toFixed(3)),
  });
  json[`${profile}WorkerdPipelinePerSec`] = Math.round(perSec);
}
await mf.dispose();
console.log(`full pipeline in workerd (Miniflare, in-memory store), one isolate, back to back`);
console.table(rows);
console.log(JSON.stringify(json));
