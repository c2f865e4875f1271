/**
 * The verification pipeline and its crypto floor inside workerd (the Worker's runtime), one isolate
 * with the in-memory store (`bench/workerd/pipeline-probe.ts` in Miniflare). workerd's clocks stand
 * still during computation, so everything is timed from outside: a run of `n` minus a run of 1 (the
 * dispatch round trip), best of 3 rounds — wall time of one busy isolate thread, which on an idle core
 * is its CPU time.
 */
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import WebSocket from 'ws';
import { bundleWorker, miniflareModules, workerCompatibility } from '../../infra/src/bundle.ts';
import { freePort } from '../../infra/src/dynamodb-local.ts';
import { type Floor, type FloorOp, floorOf } from './floor.ts';
import { median } from './measure.ts';
import { type Profile, stepTimes, WORKERD_STEPS } from './profile.ts';

export type WorkerdProfile = 'valid' | 'valid-rsa' | 'valid-brainpool';
type Transport = 'json' | 'multipart';

/** Per-card-kind pipeline cost in workerd and the floor of the P-256 card's verification there. */
export interface WorkerdFigures {
  pipeline: {
    profile: WorkerdProfile;
    face: number;
    n: number;
    msEach: number;
    perSec: number;
  }[];
  floor: Floor;
  /** DG2 `face` → `bigFace` per body kind: median over interleaved rounds of (big − small) ms per verification. */
  dg2Growth: { transport: Transport; smallMs: number; bigMs: number; growthMs: number }[];
  /** SHA-256 of the extra bytes (`bigFace − face`) with workerd's Web Crypto, ms. */
  sha256ExtraMs: number;
  /** Reading the extra bytes as a request body (`arrayBuffer()` of `bigFace` minus of `face` bytes), ms. */
  readExtraMs: number;
}

/**
 * Runs the pipeline for each card kind with a DG2 of `face` bytes, the P-256 card also with `bigFace`
 * (`n` verifications; a quarter for brainpool), then times the floor's primitives on the P-256 card's
 * last verification (DG2 `face`).
 */
/** The pipeline probe in its own workerd (Miniflare), and a way to call it. */
export async function startProbe(o: { inspectorPort?: number } = {}) {
  const bundle = await bundleWorker(new URL('../workerd/pipeline-probe.ts', import.meta.url).pathname);
  const mf = new Miniflare({
    modules: miniflareModules(bundle),
    ...workerCompatibility(),
    cf: false, // the placeholder `request.cf`, no download attempt
    ...(o.inspectorPort ? { inspectorPort: o.inspectorPort } : {}),
    // The Worker's one-line request logs: drained, not printed (still produced, as in production).
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume();
      stderr.resume();
    },
  });
  const call = async <T>(body: unknown): Promise<T> => {
    const res = await mf.dispatchFetch('http://bench/', { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`workerd probe: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return { mf, call };
}

export async function measureWorkerd(n: number, face: number, bigFace: number): Promise<WorkerdFigures> {
  const { mf, call } = await startProbe();
  try {
    const wall = async (body: unknown) => {
      const t0 = performance.now();
      await call(body);
      return performance.now() - t0;
    };
    /** ms per operation: (run of k − run of 1) / (k − 1), best of 3 rounds. */
    const perOp = async (k: number, run: (k: number) => Promise<number>) => {
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 3; r++) best = Math.min(best, ((await run(k)) - (await run(1))) / (k - 1));
      return best;
    };

    /** Wall ms of `m` verifications of freshly prepared requests (the preparation not timed). */
    const timedRun = async (profile: WorkerdProfile, faceSize: number, transport: Transport, m: number) => {
      await call({ mode: 'prepare', n: m, profile, face: faceSize, transport });
      const t0 = performance.now();
      const { verified } = await call<{ verified: number }>({ mode: 'run', n: m, profile });
      const ms = performance.now() - t0;
      if (verified !== m)
        throw new Error(`workerd ${profile} ${faceSize} ${transport}: ${verified}/${m} verified`);
      return ms;
    };

    const pipeline: WorkerdFigures['pipeline'] = [];
    const cases: [WorkerdProfile, number][] = [
      ['valid-rsa', face],
      ['valid-brainpool', face],
      ['valid', bigFace],
      ['valid', face], // last: the floor's sample
    ];
    for (const [profile, faceSize] of cases) {
      const k = Math.round(profile === 'valid-brainpool' ? Math.max(50, n / 4) : n);
      const run = (m: number) => timedRun(profile, faceSize, 'json', m);
      await run(Math.min(50, k)); // warm-up: JIT, caches, trust store, DS chain verdict
      const msEach = await perOp(Math.ceil(k / 3), run);
      pipeline.push({ profile, face: faceSize, n: 3 * Math.ceil(k / 3), msEach, perSec: 1000 / msEach });
    }

    const built = await call<{ hashedBytes: number; ops: Omit<FloorOp, 'run'>[] }>({ mode: 'floor-ops' });
    const costs: number[] = [];
    for (let op = 0; op < built.ops.length; op++) {
      const run = (m: number) => wall({ mode: 'floor', op, n: m });
      await run(100); // warm-up
      costs.push(await perOp(Math.max(200, n), run));
    }
    const ops = built.ops.map((o) => ({ ...o, run: () => undefined }));

    // After the floor: these runs replace the probe's last verified request (the floor's sample).
    // DG2 growth per body kind: small and big runs interleaved, so a drift in the machine's load lands
    // on both sides of each difference; the median of the rounds' differences.
    const dg2Growth: WorkerdFigures['dg2Growth'] = [];
    for (const transport of ['json', 'multipart'] as const satisfies Transport[]) {
      const k = Math.max(50, Math.ceil(n / 2));
      const perVerification = async (faceSize: number) =>
        ((await timedRun('valid', faceSize, transport, k)) -
          (await timedRun('valid', faceSize, transport, 1))) /
        (k - 1);
      const rounds: { small: number; big: number }[] = [];
      for (let r = 0; r < 7; r++)
        rounds.push({ small: await perVerification(face), big: await perVerification(bigFace) });
      dg2Growth.push({
        transport,
        smallMs: median(rounds.map((x) => x.small)),
        bigMs: median(rounds.map((x) => x.big)),
        growthMs: median(rounds.map((x) => x.big - x.small)),
      });
    }
    const probeRun = (mode: 'sha256' | 'read', bytes: number) => (m: number) =>
      wall({ mode, n: m, face: bytes });
    await probeRun('sha256', bigFace)(200); // warm-up
    const sha256ExtraMs = await perOp(1000, probeRun('sha256', bigFace - face));
    await probeRun('read', bigFace)(200);
    const readExtraMs =
      (await perOp(1000, probeRun('read', bigFace))) - (await perOp(1000, probeRun('read', face)));

    return { pipeline, floor: floorOf(ops, costs, built.hashedBytes), dg2Growth, sha256ExtraMs, readExtraMs };
  } finally {
    await mf.dispose();
  }
}

/**
 * The first verification in a fresh isolate, for `wrangler.toml`'s `[limits] cpu_ms`: a new probe per
 * round, one request prepared (its building not timed), then the one verification timed from outside —
 * cold caches (trust store parsed, DS chain verdict, key imports, noble tables) and cold JIT. Wall time
 * of a request that waits on nothing (in-memory store) is its CPU time. Milliseconds of each round.
 */
export async function coldWorkerd(profile: WorkerdProfile, face: number, rounds = 3): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { mf, call } = await startProbe();
    try {
      await call({ mode: 'prepare', n: 1, profile, face });
      const t0 = performance.now();
      const { verified } = await call<{ verified: number }>({ mode: 'run', n: 1, profile });
      out.push(performance.now() - t0);
      if (verified !== 1) throw new Error(`workerd cold ${profile}: not verified`);
    } finally {
      await mf.dispose();
    }
  }
  return out;
}

/**
 * Where the time goes inside workerd: a V8 CPU profile taken through workerd's own inspector (Chrome
 * DevTools Protocol) of `n` P-256 verifications per DG2 size, reduced to {@link WORKERD_STEPS}.
 * Sampling slows the isolate down (read the shares, not the absolute values), and Web Crypto runs
 * synchronously here, so its native calls show up as steps of their own.
 */
export async function profileWorkerd(
  n: number,
  faces: readonly number[],
): Promise<{ face: number; steps: { step: string; ms: number }[] }[]> {
  const inspectorPort = await freePort();
  const { mf, call } = await startProbe({ inspectorPort });
  let ws: WebSocket | undefined;
  try {
    await mf.ready; // the inspector listens once workerd runs
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
      id: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((t) => t.id === 'core:user:');
    if (!target) throw new Error(`workerd inspector: no user worker among ${targets.map((t) => t.id)}`);
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    ws = socket;
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    let id = 0;
    const pending = new Map<number, (r: unknown) => void>();
    socket.on('message', (m) => {
      const j = JSON.parse(String(m)) as { id?: number; result?: unknown };
      if (j.id !== undefined) pending.get(j.id)?.(j.result);
      pending.delete(j.id ?? -1);
    });
    const post = <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        pending.set(++id, resolve as (r: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      });
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    const out: { face: number; steps: { step: string; ms: number }[] }[] = [];
    for (const face of faces) {
      await call({ mode: 'prepare', n: 50, profile: 'valid', face });
      await call({ mode: 'run', n: 50, profile: 'valid' }); // warm-up
      await call({ mode: 'prepare', n, profile: 'valid', face });
      await post('Profiler.start');
      const { verified } = await call<{ verified: number }>({ mode: 'run', n, profile: 'valid' });
      const { profile } = await post<{ profile: Profile }>('Profiler.stop');
      if (verified !== n) throw new Error(`workerd profile: ${verified}/${n} verified`);
      out.push({ face, steps: stepTimes(profile, WORKERD_STEPS, n) });
    }
    return out;
  } finally {
    ws?.close();
    await mf.dispose();
  }
}
