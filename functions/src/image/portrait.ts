/**
 * The portrait an RP's face-match vendor takes: the DG2 face (Doc 9303 Part 10 §4.7.2, ISO/IEC
 * 19794-5) as JPEG. A JPEG face is passed on byte for byte; a JPEG 2000 face (the common passport
 * encoding) is decoded with OpenJPEG and encoded as baseline JPEG (ISO/IEC 10918-1) with jpeg-js.
 * Both steps are deterministic: the same DG2 gives the same JPEG, so a retry can derive it again.
 */
import type { DG2Face } from '@chipid/sdk/icao';
import encodeJPEG from 'jpeg-js/lib/encoder.js';
import { decodeJPEG2000 } from './jpeg2000.ts';

/** JPEG quality of a converted face (face-match vendors ask for little compression loss). */
export const PORTRAIT_JPEG_QUALITY = 90;

/** The media type every portrait is delivered in. */
export const PORTRAIT_MEDIA_TYPE = 'image/jpeg' as const;

/** A portrait ready for the RP. */
export interface Portrait {
  mediaType: typeof PORTRAIT_MEDIA_TYPE;
  bytes: Uint8Array;
  /** Whether the chip's image was JPEG 2000 and converted. */
  converted: boolean;
}

/**
 * The face as JPEG.
 *
 * @throws ImageDecodeError when a JPEG 2000 face cannot be decoded
 * @example
 * const p = await portraitJPEG(parseDG2(dg2)[0]);
 */
export async function portraitJPEG(face: DG2Face): Promise<Portrait> {
  if (face.format === 'jpeg')
    return { mediaType: PORTRAIT_MEDIA_TYPE, bytes: face.image.slice(), converted: false };
  const img = await decodeJPEG2000(face.image);
  const out = encodeJPEG({ data: img.data, width: img.width, height: img.height }, PORTRAIT_JPEG_QUALITY);
  const data = out.data as Uint8Array;
  return {
    mediaType: PORTRAIT_MEDIA_TYPE,
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.length).slice(),
    converted: true,
  };
}
