/**
 * DG1 — Doc 9303 Part 10 §4.7.1: the MRZ data object (tag 5F1F) inside the 0x61 template.
 */
import { Reader } from '../asn1/der.ts';
import { LDSError } from '../errors.ts';
import { fromLatin1 } from '../lib/bytes.ts';
import { LDS_TAG, readLDSFile, withLDSErrors } from './lds.ts';
import { type MRZ, parseMRZ } from './mrz.ts';

/** Parsed DG1. */
export interface DG1 {
  /** The parsed MRZ (check-digit outcomes in `mrz.checks` / `mrz.valid`). */
  readonly mrz: MRZ;
  /** The MRZ exactly as stored on the chip (lines concatenated, no separators). */
  readonly raw: string;
}

const TAG_MRZ = 0x5f1f;

/**
 * Parses DG1 (`61 { 5F1F mrz }`).
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID` (bad TLV), `ERR_MRZ_INVALID` (bad MRZ)
 * @example
 * const { mrz } = parseDG1(bytes);
 * mrz.documentNumber;
 */
export function parseDG1(bytes: Uint8Array): DG1 {
  const outer = readLDSFile(bytes, LDS_TAG.DG1);
  const raw = withLDSErrors('ERR_LDS_INVALID', 'dg1: malformed DG1', () => {
    const r = new Reader(outer, { der: false });
    const node = r.next(TAG_MRZ);
    r.end();
    return fromLatin1(node.value);
  });
  // Stored without separators or spaces; parseMRZ alone would tolerate those (typed-in text).
  if (!/^[0-9A-Z<]+$/.test(raw))
    throw new LDSError('ERR_MRZ_INVALID', 'dg1: MRZ holds characters outside the MRZ character set');
  return { mrz: parseMRZ(raw), raw };
}
