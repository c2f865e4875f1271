/**
 * Load generator — a second process on loopback (so client work never shares the server's event
 * loop), for a fixed time, pre-signed distinct `POST /v1/verifications` bodies over keep-alive
 * connections (node:http). Closed loop (default): fixed concurrency, each lane sending its own queue
 * back to back. Open loop (`rate`): requests leave at a fixed rate, taken from the lanes in turn,
 * whatever the answers do; each latency counts from the moment its request was due, so a late send
 * (a stalled generator) is not hidden (no coordinated omission). Prints one JSON line: counts,
 * statuses, results, throughput and latency percentiles.
 *
 * Input (argv[2]): a JSON file `{ url, seconds, dump, lanes: [[{ request, aa? }, …], …], rate?, transport? }`
 * — the shared chip dump once, each request its signed JWS and its Active Authentication answer; bodies
 * JSON, or multipart (`transport: 'multipart'`, the members as raw-byte parts).
 *
 *   node --import tsx bench/load.ts /tmp/plan.json
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type ChipDumpJSON, parseDump } from '../sdk/src/icao/dump.ts';
import { encodeFormData, verificationFormData } from '../sdk/src/request/sign.ts';
import { percentile } from './lib/measure.ts';

interface Plan {
  url: string;
  seconds: number;
  dump: Record<string, unknown>;
  lanes: { request: string; aa?: { challenge: string; signature: string } }[][];
  /** Open loop: requests per second (closed loop when absent). */
  rate?: number;
  /** The body kind (default JSON); the requests were signed for it. */
  transport?: 'json' | 'multipart';
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;
const target = new URL('/v1/verifications', plan.url);
const agent = new Agent({ keepAlive: true, maxSockets: plan.rate ? 512 : plan.lanes.length });

// Bodies built before the clock starts (a multipart body with its own boundary each, as fetch sends it).
const lanes = await Promise.all(
  plan.lanes.map((lane) =>
    Promise.all(
      lane.map(async (r) => {
        const chip = (r.aa ? { ...plan.dump, aa: r.aa } : plan.dump) as ChipDumpJSON;
        if (plan.transport !== 'multipart')
          return {
            body: Buffer.from(JSON.stringify({ request: r.request, chip })),
            type: 'application/json',
          };
        const { bytes, type } = await encodeFormData(verificationFormData(r.request, parseDump(chip)));
        return { body: Buffer.from(bytes), type };
      }),
    ),
  ),
);
type Body = { body: Buffer; type: string };

interface Answer {
  status: number;
  result: string;
  ms: number;
}

function post({ body, type }: Body, t0 = performance.now()): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': body.length },
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
const cpuStart = process.cpuUsage();
const start = performance.now();
const end = start + plan.seconds * 1000;
if (plan.rate) {
  // The lanes' requests in turn (lane 0's first, lane 1's first, …): consecutive sends use different clients.
  const queue: Body[] = [];
  for (let i = 0; queue.length < lanes.reduce((a, l) => a + l.length, 0); i++)
    for (const lane of lanes) if (lane[i]) queue.push(lane[i]!);
  const interval = 1000 / plan.rate;
  const inFlight: Promise<void>[] = [];
  let i = 0;
  for (; i < queue.length; i++) {
    const due = start + i * interval;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(post(queue[i]!, due).then((a) => void answers.push(a)));
  }
  if (i === queue.length) exhausted = lanes.length;
  await Promise.all(inFlight);
} else {
  await Promise.all(
    lanes.map(async (lane) => {
      for (const body of lane) {
        if (performance.now() >= end) return;
        answers.push(await post(body));
      }
      exhausted++;
    }),
  );
}
const elapsed = (performance.now() - start) / 1000;
const cpuUsed = process.cpuUsage(cpuStart);
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
    ...(plan.rate ? { rate: plan.rate } : {}),
    exhaustedLanes: exhausted,
    // this process's CPU per answer (user + system): the client side of each request, on the same cores
    generatorCpuMs: (cpuUsed.user + cpuUsed.system) / 1000 / Math.max(1, answers.length),
  })}\n`,
);
