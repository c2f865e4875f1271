/**
 * `npm run bench:workerd` — the full verification pipeline inside workerd (the Worker's runtime),
 * with the in-memory store: verifications per second of one isolate for P-256, RSA-2048 and brainpool
 * sandbox cards, the DG2 growth (15 → 150 KB) per body kind (JSON, multipart), and the crypto floor of the
 * P-256 card's verification with workerd's Web Crypto, and the first verification of the heaviest
 * genuine card (brainpool, DG2 150 KB) in a fresh isolate (for `wrangler.toml`'s `cpu_ms`).
 * Prints tables and one JSON line. (`npm run bench` runs the same measurement.)
 */
import { coldWorkerd, measureWorkerd } from './lib/workerd.ts';

const N = Number(process.env.BENCH_WORKERD_N ?? 400);
const FACE = 15_000;
const w = await measureWorkerd(N, FACE, 150_000);
const p256 = w.pipeline.find((r) => r.profile === 'valid' && r.face === FACE)!;
console.log('full pipeline in workerd (Miniflare, in-memory store), one isolate, four in flight');
console.table(
  w.pipeline.map((r) => ({
    card: r.profile,
    'DG2 bytes': r.face,
    verifications: r.n,
    'per second': Math.round(r.perSec),
    'ms each': Number(r.msEach.toFixed(3)),
  })),
);
console.log('crypto floor of the P-256 verification, workerd Web Crypto / noble');
console.table(
  w.floor.primitives.map((p) => ({
    primitive: p.name,
    impl: p.impl,
    'ms each': Number(p.cpuMsPerOp.toFixed(4)),
  })),
);
console.log(`DG2 ${FACE} → 150000 bytes per body kind (medians of interleaved rounds)`);
console.table(
  w.dg2Growth.map((g) => ({
    body: g.transport,
    'ms each, small': Number(g.smallMs.toFixed(3)),
    'ms each, large': Number(g.bigMs.toFixed(3)),
    growth: Number(g.growthMs.toFixed(3)),
  })),
);
console.log(
  `the extra bytes: SHA-256 ${w.sha256ExtraMs.toFixed(3)} ms, read as a body ${w.readExtraMs.toFixed(3)} ms`,
);
const json: Record<string, number> = {};
for (const r of w.pipeline)
  json[`${r.profile}${r.face === FACE ? '' : `Face${r.face}`}WorkerdPipelinePerSec`] = Math.round(r.perSec);
json.workerdFloorPerSec = Math.round(w.floor.perSec);
for (const g of w.dg2Growth) json[`${g.transport}Dg2GrowthMs`] = Number(g.growthMs.toFixed(3));
json.workerdFloorRatio = Number((p256.perSec / w.floor.perSec).toFixed(3));
// The heaviest genuine sandbox card (brainpool: noble arithmetic; DG2 150 KB) in a fresh isolate: what
// wrangler.toml's `[limits] cpu_ms` must leave room for.
const cold = await coldWorkerd('valid-brainpool', 150_000);
console.log(
  `first verification in a fresh isolate, brainpool card, DG2 150000 bytes: ${cold.map((c) => c.toFixed(1)).join(' / ')} ms`,
);
json.coldBrainpoolFace150000Ms = Number(Math.max(...cold).toFixed(1));
console.log(JSON.stringify(json));
