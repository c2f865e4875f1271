/**
 * Portrait conversion cost (the `portrait` scope, JPEG 2000 → JPEG): OpenJPEG WASM decode + jpeg-js
 * encode per face, in Node and inside workerd (the Worker's runtime; wall time of k conversions minus
 * one, per conversion, best of 3), plus the first call's WebAssembly instantiation in workerd.
 * Faces: the sandbox JP2 (240×320) and the BSI TR-03105 reference DG2's JP2 face.
 *
 * Run: `npx tsx bench/portrait.ts [k]` (default k = 20). Prints one JSON line of figures.
 */
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { portraitJPEG } from '../functions/src/image/portrait.ts';
import { bundleWorker, miniflareModules, workerCompatibility } from '../infra/src/bundle.ts';
import { parseDG2 } from '../sdk/src/icao/dg2.ts';
import { SANDBOX_FACES } from '../sdk/src/sandbox/index.ts';

const k = Number(process.argv[2] ?? 20);
const faces = {
  sandbox: new Uint8Array(Buffer.from(SANDBOX_FACES.find((f) => f.format === 'jp2')!.base64, 'base64')),
  bsi: parseDG2(
    new Uint8Array(readFileSync(new URL('../test/vectors/bsi-tr03105/Datagroup2.bin', import.meta.url))),
  )[0]!.image,
};

const out: Record<string, number> = {};
for (const [name, image] of Object.entries(faces)) {
  await portraitJPEG({ format: 'jp2', image }); // instantiate, warm
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await portraitJPEG({ format: 'jp2', image });
    best = Math.min(best, (performance.now() - t0) / k);
  }
  out[`node_${name}_ms`] = Number(best.toFixed(2));
  out[`${name}_jp2_bytes`] = image.length;
}

const mf = new Miniflare({
  modules: miniflareModules(
    await bundleWorker(new URL('./workerd/portrait-probe.ts', import.meta.url).pathname),
  ),
  ...workerCompatibility(),
  cf: false,
});
const call = async (image: Uint8Array, n: number) => {
  const t0 = performance.now();
  const res = await mf.dispatchFetch(`http://bench/?n=${n}`, { method: 'POST', body: image });
  if (res.status !== 200) throw new Error(`probe: ${res.status} ${await res.text()}`);
  await res.json();
  return performance.now() - t0;
};
try {
  out.workerd_first_call_ms = Number((await call(faces.sandbox, 1)).toFixed(1)); // includes instantiation
  for (const [name, image] of Object.entries(faces)) {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++)
      best = Math.min(best, ((await call(image, k)) - (await call(image, 1))) / (k - 1));
    out[`workerd_${name}_ms`] = Number(best.toFixed(2));
  }
} finally {
  await mf.dispose();
}
console.log(JSON.stringify({ k, ...out }));
