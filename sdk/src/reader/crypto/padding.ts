/** ISO/IEC 9797-1 padding method 2 (0x80 then zeros to the block size) — Doc 9303 Part 11 §9.8.6. */
import { ReaderError } from '../errors.ts';

/**
 * Pads with 0x80 then zeros to a multiple of `blockSize` (always adds at least one byte).
 *
 * @example
 * pad(Uint8Array.of(1, 2), 8); // 01 02 80 00 00 00 00 00
 */
export function pad(data: Uint8Array, blockSize: number): Uint8Array {
  const n = (Math.floor(data.length / blockSize) + 1) * blockSize;
  const out = new Uint8Array(n);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes ISO/IEC 9797-1 method 2 padding.
 *
 * @throws ReaderError `ERR_SECURE_MESSAGING` when the padding is missing or malformed
 * @example
 * unpad(Uint8Array.of(1, 2, 0x80, 0, 0, 0, 0, 0)); // 01 02
 */
export function unpad(data: Uint8Array): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'padding: ISO/IEC 9797-1 method 2 padding missing');
  return data.subarray(0, i);
}
