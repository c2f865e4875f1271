/**
 * Minimal PNG decoder for screenshot checks — PNG (ISO/IEC 15948, W3C PNG 3rd ed.): signature, IHDR,
 * concatenated IDAT inflated with zlib, per-row filters 0–4 (None, Sub, Up, Average, Paeth) undone.
 * Only what Chromium writes: 8-bit RGB or RGBA, no interlace. Enough to tell a rendered page from a
 * blank one by counting colours.
 */
import { inflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export interface DecodedPNG {
  width: number;
  height: number;
  /** Bytes per pixel (3 RGB, 4 RGBA). */
  channels: number;
  /** Unfiltered pixel rows, `width * channels` bytes each. */
  pixels: Uint8Array;
}

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG. Throws on anything else. */
export function decodePNG(png: Uint8Array): DecodedPNG {
  if (png.length < 8 || !SIGNATURE.every((b, i) => png[i] === b)) throw new Error('png: bad signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  while (off + 8 <= png.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...png.subarray(off + 4, off + 8));
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      const depth = data[8];
      const colour = data[9];
      const interlace = data[12];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
        throw new Error(`png: unsupported depth ${depth} / colour type ${colour} / interlace ${interlace}`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  if (!width || !height || idat.length === 0) throw new Error('png: missing IHDR or IDAT');
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error('png: IDAT size does not match IHDR');
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (row[x - channels] ?? 0) : 0;
      const b = prev[x] ?? 0;
      const c = x >= channels ? (prev[x - channels] ?? 0) : 0;
      const s = src[x] ?? 0;
      let v: number;
      switch (filter) {
        case 0:
          v = s;
          break;
        case 1:
          v = s + a;
          break;
        case 2:
          v = s + b;
          break;
        case 3:
          v = s + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = s + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`png: bad filter ${filter}`);
      }
      row[x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

/** Colour statistics: distinct RGB colours and the share of the most common one. */
export function colourStats(img: DecodedPNG): { distinct: number; dominantShare: number } {
  const counts = new Map<number, number>();
  const { pixels, channels } = img;
  for (let i = 0; i + 2 < pixels.length; i += channels) {
    const rgb = ((pixels[i] ?? 0) << 16) | ((pixels[i + 1] ?? 0) << 8) | (pixels[i + 2] ?? 0);
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  let max = 0;
  for (const n of counts.values()) if (n > max) max = n;
  return { distinct: counts.size, dominantShare: max / (img.width * img.height) };
}
