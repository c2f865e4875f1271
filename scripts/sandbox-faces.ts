/**
 * Sandbox faces — draws the synthetic faces of the sandbox citizens (flat shapes: no photograph of
 * anyone) and writes them, encoded, to `sdk/src/sandbox/assets/faces.ts`:
 *
 * - each face as a baseline JPEG (ISO/IEC 10918-1) encoded with jpeg-js;
 * - one face also as a JPEG 2000 file (ISO/IEC 15444-1 Annex I JP2: signature, file type, header with
 *   image header and colour specification, contiguous codestream), the codestream encoded with
 *   OpenJPEG (its WebAssembly build, @cornerstonejs/codec-openjpeg) — the encoding most passports use
 *   for DG2 (Doc 9303 Part 10 §4.7.2, ISO/IEC 19794-5 image data type 1).
 *
 * Deterministic: the same drawing parameters give the same pixels, and both encoders are
 * deterministic, so rerunning writes the same file. Run: `npx tsx scripts/sandbox-faces.ts`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';

const W = 240;
const H = 320;

type RGB = readonly [number, number, number];

/** What makes one face differ from another. */
interface FaceParams {
  id: string;
  sex: 'M' | 'F';
  background: RGB;
  skin: RGB;
  hair: RGB;
  /** `short`, `side` (parted), `long` (to the shoulders), `bun`. */
  hairStyle: 'short' | 'side' | 'long' | 'bun';
  shirt: RGB;
  /** Head half-width and half-height in pixels. */
  head: readonly [number, number];
  eyeGap: number;
  glasses: boolean;
  mouthWidth: number;
}

/** The sandbox faces (three men, three women), in the order `faceFor` picks them. */
const FACES: FaceParams[] = [
  {
    id: 'm1',
    sex: 'M',
    background: [226, 234, 242],
    skin: [226, 186, 150],
    hair: [28, 24, 22],
    hairStyle: 'short',
    shirt: [245, 245, 245],
    head: [64, 86],
    eyeGap: 25,
    glasses: false,
    mouthWidth: 20,
  },
  {
    id: 'm2',
    sex: 'M',
    background: [232, 236, 240],
    skin: [205, 160, 122],
    hair: [40, 32, 28],
    hairStyle: 'side',
    shirt: [52, 64, 92],
    head: [68, 84],
    eyeGap: 27,
    glasses: true,
    mouthWidth: 24,
  },
  {
    id: 'm3',
    sex: 'M',
    background: [222, 230, 238],
    skin: [236, 200, 168],
    hair: [70, 70, 72],
    hairStyle: 'short',
    shirt: [120, 132, 140],
    head: [60, 90],
    eyeGap: 23,
    glasses: false,
    mouthWidth: 18,
  },
  {
    id: 'f1',
    sex: 'F',
    background: [228, 236, 244],
    skin: [238, 204, 176],
    hair: [22, 18, 18],
    hairStyle: 'long',
    shirt: [250, 250, 250],
    head: [60, 82],
    eyeGap: 24,
    glasses: false,
    mouthWidth: 18,
  },
  {
    id: 'f2',
    sex: 'F',
    background: [234, 236, 238],
    skin: [214, 172, 138],
    hair: [58, 36, 26],
    hairStyle: 'bun',
    shirt: [150, 40, 60],
    head: [62, 84],
    eyeGap: 25,
    glasses: true,
    mouthWidth: 20,
  },
  {
    id: 'f3',
    sex: 'F',
    background: [224, 232, 240],
    skin: [230, 190, 160],
    hair: [34, 26, 24],
    hairStyle: 'long',
    shirt: [40, 90, 80],
    head: [58, 86],
    eyeGap: 23,
    glasses: false,
    mouthWidth: 16,
  },
];

/** The face also written as JPEG 2000. */
const JP2_FACE = 'f2';
const JPEG_QUALITY = 50;
const JP2_RATIO = 30;

/** An RGBA canvas with shape fills, anti-aliased by 4×4 supersampling at the edges. */
function canvas() {
  const px = new Uint8Array(W * H * 4);
  const fill = (
    inside: (x: number, y: number) => boolean,
    c: RGB,
    box: readonly [number, number, number, number] = [0, 0, W, H],
  ) => {
    const [x0, y0, x1, y1] = box;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(H, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(W, Math.ceil(x1)); x++) {
        let n = 0;
        for (let sy = 0; sy < 4; sy++)
          for (let sx = 0; sx < 4; sx++) if (inside(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4)) n++;
        if (n === 0) continue;
        const a = n / 16;
        const i = (y * W + x) * 4;
        for (let k = 0; k < 3; k++) px[i + k] = Math.round(px[i + k]! * (1 - a) + c[k]! * a);
        px[i + 3] = 255;
      }
    }
  };
  const ellipse = (cx: number, cy: number, rx: number, ry: number, c: RGB, clip?: (y: number) => boolean) =>
    fill((x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 && (!clip || clip(y)), c, [
      cx - rx - 1,
      cy - ry - 1,
      cx + rx + 1,
      cy + ry + 1,
    ] as const);
  const rect = (x0: number, y0: number, x1: number, y1: number, c: RGB) =>
    fill((x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1, c, [x0, y0, x1 + 1, y1 + 1] as const);
  /** A stroke from (ax, ay) to (bx, by) of half-width `r`. */
  const line = (ax: number, ay: number, bx: number, by: number, r: number, c: RGB) => {
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    fill(
      (x, y) => {
        const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= r * r;
      },
      c,
      [
        Math.min(ax, bx) - r - 1,
        Math.min(ay, by) - r - 1,
        Math.max(ax, bx) + r + 1,
        Math.max(ay, by) + r + 1,
      ] as const,
    );
  };
  const ring = (cx: number, cy: number, rx: number, ry: number, w: number, c: RGB) =>
    fill(
      (x, y) => {
        const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
        const din = ((x - cx) / (rx - w)) ** 2 + ((y - cy) / (ry - w)) ** 2;
        return d <= 1 && din > 1;
      },
      c,
      [cx - rx - 1, cy - ry - 1, cx + rx + 1, cy + ry + 1] as const,
    );
  return { px, ellipse, rect, line, ring };
}

const shade = (c: RGB, f: number): RGB => [c[0] * f, c[1] * f, c[2] * f].map(Math.round) as unknown as RGB;

/** Draws one face: background, shoulders, neck, hair, head, ears, features. */
function draw(p: FaceParams): Uint8Array {
  const g = canvas();
  const cx = W / 2;
  const cy = 140;
  const [hx, hy] = p.head;
  g.rect(0, 0, W - 1, H - 1, p.background);
  if (p.hairStyle === 'long') g.ellipse(cx, cy + 40, hx + 14, hy + 50, p.hair);
  if (p.hairStyle === 'bun') g.ellipse(cx, cy - hy - 6, 26, 20, p.hair);
  g.ellipse(cx, H + 30, 118, 92, p.shirt); // shoulders
  g.rect(cx - 22, cy + hy - 30, cx + 22, cy + hy + 26, shade(p.skin, 0.9)); // neck
  g.ellipse(cx, H + 30, 40, 62, shade(p.skin, 0.9), (y) => y < H - 40); // collar opening
  g.ellipse(cx - hx, cy + 4, 11, 18, shade(p.skin, 0.95)); // ears
  g.ellipse(cx + hx, cy + 4, 11, 18, shade(p.skin, 0.95));
  g.ellipse(cx, cy, hx, hy, p.skin); // head
  // Hair over the top of the head.
  const hairline = cy - hy * (p.sex === 'M' ? 0.45 : 0.4);
  g.ellipse(cx, cy - 8, hx + 5, hy + 4, p.hair, (y) => y < hairline);
  if (p.hairStyle === 'side') g.ellipse(cx - hx * 0.35, hairline + 2, hx * 0.75, 14, p.hair);
  if (p.hairStyle === 'long' || p.hairStyle === 'bun') {
    g.ellipse(cx - hx + 4, cy - 10, 12, hy * 0.6, p.hair, (y) => y < cy + 10);
    g.ellipse(cx + hx - 4, cy - 10, 12, hy * 0.6, p.hair, (y) => y < cy + 10);
  }
  // Eyes, eyebrows, nose, mouth.
  const ey = cy - 6;
  for (const s of [-1, 1]) {
    const ex = cx + s * p.eyeGap;
    g.ellipse(ex, ey, 11, 6, [250, 250, 250]);
    g.ellipse(ex, ey, 5, 5, [48, 36, 30]);
    g.ellipse(ex + 1.5, ey - 1.5, 1.5, 1.5, [255, 255, 255]);
    g.line(
      ex - 12 * s,
      ey - 15,
      ex + 11 * s,
      ey - 17 + (p.sex === 'F' ? 2 : 0),
      p.sex === 'M' ? 3 : 2,
      p.hair,
    );
    if (p.glasses) g.ring(ex, ey, 17, 13, 2.5, [40, 40, 44]);
  }
  if (p.glasses) g.line(cx - p.eyeGap + 17, ey, cx + p.eyeGap - 17, ey, 1.5, [40, 40, 44]);
  g.line(cx + 2, ey + 8, cx - 5, ey + 30, 2, shade(p.skin, 0.8));
  g.line(cx - 5, ey + 30, cx + 5, ey + 31, 2, shade(p.skin, 0.8));
  g.ellipse(cx, ey + 50, p.mouthWidth, 6, p.sex === 'F' ? [186, 84, 92] : [170, 100, 96], (y) => y > ey + 49);
  g.line(cx - p.mouthWidth, ey + 50, cx + p.mouthWidth, ey + 50, 1.5, [130, 70, 70]);
  return g.px;
}

const require = createRequire(import.meta.url);

/** ISO base-media style box: 4-byte big-endian length, 4-character type, payload. */
function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const len = 8 + payload.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  new DataView(out.buffer).setUint32(0, len);
  out.set(new TextEncoder().encode(type), 4);
  let o = 8;
  for (const p of payload) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A JP2 file (ISO/IEC 15444-1 Annex I) around an RGB codestream. */
function jp2File(codestream: Uint8Array, width: number, height: number): Uint8Array {
  const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
  const signature = box('jP  ', Uint8Array.of(0x0d, 0x0a, 0x87, 0x0a));
  const ftyp = box('ftyp', new TextEncoder().encode('jp2 '), u32(0), new TextEncoder().encode('jp2 '));
  // ihdr: height, width, components (3), bits per component − 1 (7, unsigned), compression type 7
  // (JPEG 2000), colourspace unknown 0, intellectual property 0.
  const ihdr = box('ihdr', u32(height), u32(width), Uint8Array.of(0, 3, 7, 7, 0, 0));
  // colr: method 1 (enumerated), precedence 0, approximation 0, enumerated colourspace 16 (sRGB).
  const colr = box('colr', Uint8Array.of(1, 0, 0), u32(16));
  return concat(signature, ftyp, box('jp2h', ihdr, colr), box('jp2c', codestream));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function encodeJ2K(rgba: Uint8Array): Promise<Uint8Array> {
  const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (o?: object) => Promise<{
    J2KEncoder: new () => {
      getDecodedBuffer(f: object): Uint8Array;
      setQuality(lossless: boolean, quality: number): void;
      setCompressionRatio(layer: number, ratio: number): void;
      setDecompositions(n: number): void;
      encode(): void;
      getEncodedBuffer(): Uint8Array;
      delete(): void;
    };
  }>;
  const codec = await factory();
  const enc = new codec.J2KEncoder();
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) rgb.set(rgba.subarray(i, i + 3), j);
  enc
    .getDecodedBuffer({
      width: W,
      height: H,
      bitsPerSample: 8,
      componentCount: 3,
      isSigned: false,
      isUsingColorTransform: true,
    })
    .set(rgb);
  enc.setQuality(false, 1); // irreversible 9-7 wavelet (lossy, as passports use), one quality layer
  enc.setCompressionRatio(0, JP2_RATIO);
  enc.setDecompositions(5);
  enc.encode();
  const out = enc.getEncodedBuffer().slice();
  enc.delete();
  return out;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const wrap = (s: string) => (s.match(/.{1,100}/g) ?? []).map((l) => `    '${l}'`).join(' +\n');

const entries: string[] = [];
for (const p of FACES) {
  const rgba = draw(p);
  const jpg = jpeg.encode({ data: rgba, width: W, height: H }, JPEG_QUALITY).data;
  entries.push(
    `  {\n    id: '${p.id}',\n    sex: '${p.sex}',\n    format: 'jpeg',\n    width: ${W},\n    height: ${H},\n    base64:\n${wrap(b64(jpg))},\n  },`,
  );
  if (p.id === JP2_FACE) {
    const jp2 = jp2File(await encodeJ2K(rgba), W, H);
    entries.push(
      `  {\n    id: '${p.id}-jp2',\n    sex: '${p.sex}',\n    format: 'jp2',\n    width: ${W},\n    height: ${H},\n    base64:\n${wrap(b64(jp2))},\n  },`,
    );
  }
}

const out = `/**
 * Sandbox faces for DG2 (ISO/IEC 19794-5 facial images, ${W}×${H}): drawn, synthetic faces — flat
 * shapes, not a photograph of anyone — one per look, JPEG (baseline, jpeg-js, quality ${JPEG_QUALITY}) and one
 * also as a JPEG 2000 JP2 file (OpenJPEG, 9-7 wavelet, compression ratio ${JP2_RATIO}).
 *
 * Generated by \`npx tsx scripts/sandbox-faces.ts\`; do not edit.
 */

/** One sandbox face image. */
export interface SandboxFace {
  readonly id: string;
  readonly sex: 'M' | 'F';
  readonly format: 'jpeg' | 'jp2';
  readonly width: number;
  readonly height: number;
  /** The encoded image, standard base64. */
  readonly base64: string;
}

/** Every sandbox face (JPEG first, in drawing order; the JPEG 2000 one after its JPEG twin). */
export const SANDBOX_FACES: readonly SandboxFace[] = [
${entries.join('\n')}
];
`;
const target = fileURLToPath(new URL('../sdk/src/sandbox/assets/faces.ts', import.meta.url));
writeFileSync(target, out);
// The repository's formatter has the last word, so the committed file is what this script writes.
execFileSync('npx', ['biome', 'format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${FACES.length} faces (+1 JPEG 2000), ${out.length} characters`);
