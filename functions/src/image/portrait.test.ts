/**
 * The portrait conversion in Node (the same modules run in workerd: test/integration/portrait.test.ts):
 * JPEG faces pass through byte for byte; JPEG 2000 faces — the BSI TR-03105 reference DG2 (a real
 * JP2 file, test/vectors/SOURCES.md) and the sandbox's JP2 face — decode with OpenJPEG and come back
 * as baseline JPEG of the same size; garbage is an ImageDecodeError, never a crash.
 */
import { readFileSync } from 'node:fs';
import { parseDG2 } from '@chipid/sdk/icao';
import { SANDBOX_FACES } from '@chipid/sdk/sandbox';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { codestreamOf, decodeJPEG2000, ImageDecodeError } from './jpeg2000.ts';
import { portraitJPEG } from './portrait.ts';

const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('portraitJPEG', () => {
  it('passes a JPEG face through unchanged', async () => {
    const face = SANDBOX_FACES.find((f) => f.format === 'jpeg')!;
    const image = b64(face.base64);
    const p = await portraitJPEG({ format: 'jpeg', image });
    expect(p.converted).toBe(false);
    expect(p.bytes).toEqual(image);
  });

  it('converts the BSI TR-03105 JPEG 2000 face to a JPEG of the same size', async () => {
    const [face] = parseDG2(vector('bsi-tr03105/Datagroup2.bin'));
    expect(face!.format).toBe('jp2');
    const p = await portraitJPEG(face!);
    expect(p.converted).toBe(true);
    expect([...p.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const back = jpeg.decode(p.bytes, { useTArray: true });
    const raw = await decodeJPEG2000(face!.image);
    expect([back.width, back.height]).toEqual([raw.width, raw.height]);
    expect(raw.width).toBeGreaterThan(100);
    // Pixels survive the JPEG step (mean absolute error small against the decoded JPEG 2000).
    let err = 0;
    for (let i = 0; i < raw.data.length; i += 4) err += Math.abs(raw.data[i]! - back.data[i]!);
    expect(err / (raw.width * raw.height)).toBeLessThan(6);
  });

  it('converts the sandbox JPEG 2000 face, deterministically, close to its JPEG twin', async () => {
    const jp2 = SANDBOX_FACES.find((f) => f.format === 'jp2')!;
    const twin = SANDBOX_FACES.find((f) => f.id === jp2.id.replace(/-jp2$/, ''))!;
    const a = await portraitJPEG({ format: 'jp2', image: b64(jp2.base64) });
    const b = await portraitJPEG({ format: 'jp2', image: b64(jp2.base64) });
    expect(a.bytes).toEqual(b.bytes);
    const img = jpeg.decode(a.bytes, { useTArray: true });
    const ref = jpeg.decode(b64(twin.base64), { useTArray: true });
    expect([img.width, img.height]).toEqual([jp2.width, jp2.height]);
    let err = 0;
    for (let i = 0; i < img.data.length; i += 4) err += Math.abs(img.data[i]! - ref.data[i]!);
    expect(err / (img.width * img.height)).toBeLessThan(8);
  });

  it('refuses garbage with ImageDecodeError', async () => {
    await expect(decodeJPEG2000(Uint8Array.of(1, 2, 3))).rejects.toBeInstanceOf(ImageDecodeError);
    const jp2 = b64(SANDBOX_FACES.find((f) => f.format === 'jp2')!.base64);
    const { codestream } = codestreamOf(jp2);
    const broken = codestream.slice(0, 200);
    await expect(decodeJPEG2000(broken)).rejects.toBeInstanceOf(ImageDecodeError);
    const lying = jp2.slice();
    lying[3] = 0xff; // signature box length wrong
    expect(() => codestreamOf(lying)).toThrow(ImageDecodeError);
  });
});
