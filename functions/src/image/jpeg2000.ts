/**
 * JPEG 2000 decoding — ISO/IEC 15444-1: a JP2 file (Annex I: signature box, file type, header with
 * image header `ihdr` and colour specification `colr`, contiguous codestream box `jp2c`) or a bare
 * codestream (SOC `FF 4F`, SIZ `FF 51`), decoded by OpenJPEG's WebAssembly build
 * (@cornerstonejs/codec-openjpeg) into 8-bit RGBA pixels.
 *
 * On Workers the decoder's `.wasm` arrives as a module compiled at deploy time (wrangler's
 * `CompiledWasm` rule in wrangler.toml; `infra/src/bundle.ts` for workerd under tests): Workers refuse
 * to compile WebAssembly from bytes at run time. Elsewhere (Node: tests, scripts) the Emscripten
 * loader reads the file itself.
 */
import type { ModuleOptions, OpenJPEGModule } from '@cornerstonejs/codec-openjpeg/decodewasmjs';

/** Largest image decoded (pixels): a DG2 face is ~0.1–0.5 MP; this bounds memory and CPU. */
export const MAX_JPEG2000_PIXELS = 4_000_000;

/** Why a JPEG 2000 image could not be decoded (a rule, never image content). */
export class ImageDecodeError extends Error {
  constructor(readonly rule: string) {
    super(`jpeg2000: ${rule}`);
    this.name = 'ImageDecodeError';
  }
}

/** Decoded pixels: 8-bit RGBA, row-major. */
export interface RGBAImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const u32 = (b: Uint8Array, o: number) =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const type = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

/** Boxes of a JP2 byte range (ISO/IEC 15444-1 §I.4): type and payload. */
function* boxes(b: Uint8Array, from = 0, to = b.length): Generator<{ type: string; body: Uint8Array }> {
  let o = from;
  while (o + 8 <= to) {
    let len = u32(b, o);
    let head = 8;
    if (len === 1) {
      if (o + 16 > to || u32(b, o + 8) !== 0) throw new ImageDecodeError('JP2 box too large');
      len = u32(b, o + 12);
      head = 16;
    } else if (len === 0) {
      len = to - o; // the last box runs to the end of the file
    }
    if (len < head || o + len > to) throw new ImageDecodeError('JP2 box length out of range');
    yield { type: type(b, o + 4), body: b.subarray(o + head, o + len) };
    o += len;
  }
}

/** The codestream and the enumerated colourspace (`colr` method 1) of a JP2 file or bare codestream. */
export function codestreamOf(b: Uint8Array): { codestream: Uint8Array; colourspace?: number } {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)
    return { codestream: b };
  if (b.length < 12 || u32(b, 0) !== 12 || type(b, 4) !== 'jP  ' || u32(b, 8) !== 0x0d0a870a)
    throw new ImageDecodeError('neither a JP2 file nor a JPEG 2000 codestream');
  let colourspace: number | undefined;
  for (const box of boxes(b)) {
    if (box.type === 'jp2h') {
      for (const inner of boxes(box.body)) {
        if (inner.type === 'colr' && inner.body[0] === 1 && inner.body.length >= 7)
          colourspace = u32(inner.body, 3);
      }
    } else if (box.type === 'jp2c') {
      return colourspace === undefined ? { codestream: box.body } : { codestream: box.body, colourspace };
    }
  }
  throw new ImageDecodeError('JP2 file without a codestream box');
}

let codec: Promise<OpenJPEGModule> | undefined;

/** The OpenJPEG decoder, instantiated once per isolate. */
function openJPEG(): Promise<OpenJPEGModule> {
  codec ??= (async () => {
    const factory = (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default;
    let wasm: WebAssembly.Module | undefined;
    try {
      // A compiled module where the bundler made one (workerd); Node cannot import `.wasm` this way.
      const m = (await import('@cornerstonejs/codec-openjpeg/decodewasm')).default;
      if (m instanceof WebAssembly.Module) wasm = m;
    } catch {
      wasm = undefined;
    }
    const quiet = { print: () => {}, printErr: () => {} };
    if (!wasm) return factory(quiet);
    const compiled = wasm;
    const options: ModuleOptions = {
      ...quiet,
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
        return {};
      },
    };
    // The Emscripten loader guesses its host from globals: workerd has `process.versions.node`
    // (nodejs_compat) and `WorkerGlobalScope`, and the loader would then read files or
    // `self.location`. Hidden for the synchronous call that makes the guess (no other code runs in
    // between), the loader takes the plain path and uses the module given above.
    const g = globalThis as Record<string, unknown>;
    const saved = { process: g.process, WorkerGlobalScope: g.WorkerGlobalScope };
    let ready: Promise<OpenJPEGModule>;
    try {
      g.process = undefined;
      g.WorkerGlobalScope = undefined;
      ready = factory(options);
    } finally {
      g.process = saved.process;
      g.WorkerGlobalScope = saved.WorkerGlobalScope;
    }
    return ready;
  })();
  codec.catch(() => {
    codec = undefined;
  });
  return codec;
}

/** Image size from the codestream's SIZ marker (ISO/IEC 15444-1 §A.5.1), read before decoding. */
function sizeOf(cs: Uint8Array): { width: number; height: number; components: number } {
  if (cs.length < 42 || cs[2] !== 0xff || cs[3] !== 0x51)
    throw new ImageDecodeError('codestream without SIZ');
  const width = u32(cs, 8) - u32(cs, 16);
  const height = u32(cs, 12) - u32(cs, 20);
  const components = (cs[40]! << 8) | cs[41]!;
  return { width, height, components };
}

/**
 * Decodes a JPEG 2000 image (JP2 file or codestream) to 8-bit RGBA: greyscale and sRGB, sYCC
 * converted (ITU-R BT.601 full range), more than 8 bits per sample scaled down.
 *
 * @throws ImageDecodeError when the bytes are not a decodable JPEG 2000 image within the limits
 * @example
 * const { width, height, data } = await decodeJPEG2000(face.image);
 */
export async function decodeJPEG2000(bytes: Uint8Array): Promise<RGBAImage> {
  const { codestream, colourspace } = codestreamOf(bytes);
  const size = sizeOf(codestream);
  if (size.width <= 0 || size.height <= 0 || size.width * size.height > MAX_JPEG2000_PIXELS)
    throw new ImageDecodeError('image size out of range');
  if (size.components !== 1 && size.components !== 3)
    throw new ImageDecodeError('unsupported component count');
  const m = await openJPEG();
  const dec = new m.J2KDecoder();
  try {
    dec.getEncodedBuffer(codestream.length).set(codestream);
    try {
      dec.decode();
    } catch {
      throw new ImageDecodeError('the codestream does not decode');
    }
    const f = dec.getFrameInfo();
    if (f.width !== size.width || f.height !== size.height || f.componentCount !== size.components)
      throw new ImageDecodeError('decoded size differs from the header');
    const src = dec.getDecodedBuffer();
    const n = f.width * f.height;
    const bytesPer = f.bitsPerSample > 8 ? 2 : 1;
    if (src.length < n * f.componentCount * bytesPer) throw new ImageDecodeError('short decoded buffer');
    const shift = Math.max(0, f.bitsPerSample - 8);
    const sample = (i: number) =>
      bytesPer === 1 ? src[i]! : ((src[2 * i]! | (src[2 * i + 1]! << 8)) >> shift) & 0xff;
    const out = new Uint8Array(n * 4);
    const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
    for (let p = 0; p < n; p++) {
      const o = p * 4;
      if (f.componentCount === 1) {
        const v = sample(p);
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      } else if (colourspace === 18) {
        const y = sample(p * 3);
        const cb = sample(p * 3 + 1) - 128;
        const cr = sample(p * 3 + 2) - 128;
        out[o] = clamp(y + 1.402 * cr);
        out[o + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
        out[o + 2] = clamp(y + 1.772 * cb);
      } else {
        out[o] = sample(p * 3);
        out[o + 1] = sample(p * 3 + 1);
        out[o + 2] = sample(p * 3 + 2);
      }
      out[o + 3] = 255;
    }
    return { width: f.width, height: f.height, data: out };
  } finally {
    dec.delete();
  }
}
