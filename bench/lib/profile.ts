/**
 * Where the time goes — a V8 CPU profile (node:inspector) of a batch of in-process verifications,
 * main thread only, reduced to the inclusive time of the frames that name a step of the pipeline.
 * Profiling slows everything down a little; read the shares, not the absolute values.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
/** A V8 CPU profile (`Profiler.stop`'s answer), as node:inspector and workerd's inspector give it. */
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Steps of a verification: label → predicate on a frame's (function name, url). */
export type Steps = readonly (readonly [string, (fn: string, url: string) => boolean])[];

/** A step told by its function's name alone. */
const named = (label: string, name: string): Steps[number] => [label, (fn) => fn === name];

/** The pipeline's own steps, by function name: the same in Node and in workerd's bundle. */
const PIPELINE: Steps = [
  named('reading the body (text, JSON.parse)', 'readJsonBody'),
  named('RP token check (verifyRpToken, jose)', 'verifyRpToken'),
  named('prepareVerification (checks 1–4 + assertion)', 'prepareVerification'),
  named('  chipDigest (canonical dump + SHA-256)', 'chipDigest'),
  named('  decodeDump (base64 check + decode, one pass)', 'decodeDump'),
  named('  verifyChip (passive + active auth)', 'verifyChip'),
  named('  chipFacts (DG1/DG13 → facts)', 'chipFacts'),
  named('  checkRegistry', 'checkRegistry'),
  named('  signAssertion (JWT build + ES256)', 'signAssertion'),
  named('commitVerification (audit hash + transaction)', 'commitVerification'),
];
const GC = named('garbage collector', '(garbage collector)');

/** The steps in Node, where frames also name their source files. */
const STEPS: Steps = [
  ['whole request (Hono app.fetch)', (fn, url) => fn === 'fetch' && url.includes('hono/dist/hono-base')],
  ['body limit middleware', (fn, url) => fn === 'bodyLimit' && url.includes('hono')],
  PIPELINE[0]!,
  [
    'request validation (zod: the body structure)',
    (_fn, url) => url.includes('hono/dist/validator/validator'),
  ],
  ...PIPELINE.slice(1, 5),
  ['  base64 decode (SDK fromBase64)', (fn, url) => fn === 'fromBase64' && url.includes('sdk/src/lib/bytes')],
  ...PIPELINE.slice(5),
  [
    'HMAC-SHA256 (registry keys, pairwise sub)',
    (fn, url) => fn === 'hmacSha256' && url.includes('functions/src/lib/crypto'),
  ],
  ['in-memory store (MemoryDynamo.send)', (fn, url) => fn === 'send' && url.includes('store/memory')],
  ['Web Crypto calls (all)', (_fn, url) => url.startsWith('node:internal/crypto/webcrypto')],
  [
    'Request/Response objects (undici)',
    (fn, url) => (fn === '_Request' || fn === '_Response') && url.includes('undici'),
  ],
  GC,
];

/** Runs `fn` under the profiler; returns ms per operation for each step (n operations). */
export async function profileSteps(
  fn: () => Promise<void>,
  n: number,
): Promise<{ step: string; ms: number }[]> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  await fn();
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  return stepTimes(profile, STEPS, n);
}

/**
 * The steps inside workerd: one bundled script (every url is `script-0`), so frames are told apart by
 * function name only — names esbuild keeps as written (`prepareVerification`, …); Web Crypto's native
 * calls are the url-less `verify`, `sign`, `digest`.
 */
export const WORKERD_STEPS: Steps = [
  ...PIPELINE,
  named('HMAC-SHA256 (registry keys, pairwise sub)', 'hmacSha256'),
  named('request log line (logLine)', 'logLine'),
  [
    'Web Crypto, native (verify, sign, digest)',
    (fn, url) => url === '' && (fn === 'verify' || fn === 'sign' || fn === 'digest'),
  ],
  GC,
];

/** Milliseconds per operation (`n` operations) of each step in `profile`, inclusive, plus the busy total. */
export function stepTimes(profile: Profile, steps: Steps, n: number): { step: string; ms: number }[] {
  const nodes = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const self = new Map<number, number>();
  for (const [i, s] of profile.samples.entries())
    self.set(s, (self.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const totals = steps.map(() => 0);
  let busy = 0;
  for (const [id, t] of self) {
    const leaf = nodes.get(id)!.callFrame.functionName;
    if (leaf !== '(idle)' && leaf !== '(program)') busy += t;
    const hit = steps.map(() => false);
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const cf = nodes.get(x)!.callFrame;
      steps.forEach(([, pred], i) => {
        if (!hit[i] && pred(cf.functionName, cf.url)) hit[i] = true;
      });
    }
    hit.forEach((h, i) => {
      if (h) totals[i]! += t;
    });
  }
  return [
    { step: 'main thread busy (everything but idle)', ms: busy / 1000 / n },
    ...steps.map(([label], i) => ({ step: label, ms: totals[i]! / 1000 / n })),
  ];
}
