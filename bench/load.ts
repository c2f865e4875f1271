/**
 * Load generator — a second process on loopback (so client work never shares the server's event
 * loop): fixed concurrency, each lane sending its own queue of pre-signed, distinct
 * `POST /v1/verifications` bodies back to back over a keep-alive connection (node:http), for a fixed
 * time. Prints one JSON line: counts, statuses, results, throughput and latency percentiles.
 *
 * Input (argv[2]): a JSON file `{ url, seconds, dump, lanes: [[{ request, aa? }, …], …] }` — the
 * shared chip dump once, each request its signed JWS and its Active Authentication answer.
 *
 *   node --import tsx bench/load.ts /tmp/plan.json
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { percentile } from './lib/measure.ts';

interface Plan {
  url: string;
  seconds: number;
  dump: Record<string, unknown>;
  lanes: { request: string; aa?: { challenge: string; signature: string } }[][];
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;
const target = new URL('/v1/verifications', plan.url);
const agent = new Agent({ keepAlive: true, maxSockets: plan.lanes.length });

// Bodies built before the clock starts.
const lanes = plan.lanes.map((lane) =>
  lane.map((r) =>
    Buffer.from(JSON.stringify({ request: r.request, chip: r.aa ? { ...plan.dump, aa: r.aa } : plan.dump })),
  ),
);

interface Answer {
  status: number;
  result: string;
  ms: number;
}

function post(body: Buffer): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let result = '';
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const j = JSON.parse(text) as { result?: string; code?: string };
            result = j.result ?? j.code ?? '';
          } catch {
            result = 'unparsable';
          }
          resolve({ status: res.statusCode ?? 0, result, ms: performance.now() - t0 });
        });
        res.on('error', () => resolve({ status: 0, result: 'response error', ms: performance.now() - t0 }));
      },
    );
    req.on('error', (e) =>
      resolve({ status: 0, result: e.message.slice(0, 60), ms: performance.now() - t0 }),
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

const answers: Answer[] = [];
let exhausted = 0;
const start = performance.now();
const end = start + plan.seconds * 1000;
await Promise.all(
  lanes.map(async (lane) => {
    for (const body of lane) {
      if (performance.now() >= end) return;
      answers.push(await post(body));
    }
    exhausted++;
  }),
);
const elapsed = (performance.now() - start) / 1000;
agent.destroy();

const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
const pct = (p: number) => percentile(ms, p);
const statuses: Record<string, number> = {};
const results: Record<string, number> = {};
for (const a of answers) {
  statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  results[a.result] = (results[a.result] ?? 0) + 1;
}
process.stdout.write(
  `${JSON.stringify({
    n: answers.length,
    errors: answers.filter((a) => a.status !== 200).length,
    statuses,
    results,
    seconds: elapsed,
    rps: answers.length / elapsed,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: ms[ms.length - 1] ?? Number.NaN,
    concurrency: lanes.length,
    exhaustedLanes: exhausted,
  })}\n`,
);
