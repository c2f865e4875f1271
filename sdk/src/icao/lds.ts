/**
 * ICAO Doc 9303 Part 10 §4 — Logical Data Structure: elementary-file tags and the outer TLV of
 * every LDS file (EF.COM, DG1–DG16, EF.SOD).
 */
import { type Node, readNode } from '../asn1/der.ts';
import { ChipIdError, type ErrorCode, isChipIdError, LDSError } from '../errors.ts';

/** Outer tag of each LDS elementary file (Doc 9303 Part 10 §4.6, Table 34). */
export const LDS_TAG = {
  COM: 0x60,
  DG1: 0x61,
  DG2: 0x75,
  DG3: 0x63,
  DG4: 0x76,
  DG5: 0x65,
  DG6: 0x66,
  DG7: 0x67,
  DG8: 0x68,
  DG9: 0x69,
  DG10: 0x6a,
  DG11: 0x6b,
  DG12: 0x6c,
  DG13: 0x6d,
  DG14: 0x6e,
  DG15: 0x6f,
  DG16: 0x70,
  SOD: 0x77,
} as const;

/** Name of an LDS file (`'COM'`, `'DG1'` … `'SOD'`). */
export type LDSFileName = keyof typeof LDS_TAG;

/** Data-group number (1–16) → outer tag. */
export const DG_TAG_BY_NUMBER: ReadonlyMap<number, number> = new Map([
  [1, LDS_TAG.DG1],
  [2, LDS_TAG.DG2],
  [3, LDS_TAG.DG3],
  [4, LDS_TAG.DG4],
  [5, LDS_TAG.DG5],
  [6, LDS_TAG.DG6],
  [7, LDS_TAG.DG7],
  [8, LDS_TAG.DG8],
  [9, LDS_TAG.DG9],
  [10, LDS_TAG.DG10],
  [11, LDS_TAG.DG11],
  [12, LDS_TAG.DG12],
  [13, LDS_TAG.DG13],
  [14, LDS_TAG.DG14],
  [15, LDS_TAG.DG15],
  [16, LDS_TAG.DG16],
]);

/** Outer tag → data-group number (1–16). */
export const DG_NUMBER_BY_TAG: ReadonlyMap<number, number> = new Map(
  [...DG_TAG_BY_NUMBER].map(([n, tag]) => [tag, n] as const),
);

/**
 * Outer tag of data group `n` (1–16), or undefined.
 *
 * @example
 * dgTag(13); // 0x6d
 */
export function dgTag(n: number): number | undefined {
  return DG_TAG_BY_NUMBER.get(n);
}

/**
 * Data-group number of an outer tag, or undefined (EF.COM and EF.SOD have none).
 *
 * @example
 * dgNumber(0x75); // 2
 */
export function dgNumber(tag: number): number | undefined {
  return DG_NUMBER_BY_TAG.get(tag);
}

/**
 * `ERR_ASN1_TRUNCATED` when an elementary file's outer TLV runs past the bytes read — an NFC read cut
 * short (the tag slipped away) — rather than a malformed file; `undefined` when the outer TLV fits.
 * `what` names the file (`sod`, `lds`); the message names the rule, never the data.
 */
export function truncatedFile(what: string, bytes: Uint8Array): LDSError | undefined {
  if (bytes.length === 0) return undefined; // nothing read at all: not a cut-short file
  try {
    readNode(bytes, 0, { der: false });
    return undefined;
  } catch (cause) {
    if (!isChipIdError(cause) || cause.code !== 'ERR_ASN1_TRUNCATED') return undefined;
    return new LDSError(
      'ERR_ASN1_TRUNCATED',
      `${what}: the file ends before its declared length — the read was cut short (hold the card still and read it again)`,
      { cause },
    );
  }
}

/**
 * Reads the outer TLV of an LDS elementary file and checks its tag.
 *
 * Lengths are read leniently (BER, `{ der: false }`): chips use non-minimal long-form lengths.
 * Chips sometimes return a file padded up to the size of the EF: trailing bytes after the outer
 * TLV are accepted only when each is `0x00` or `0xFF`; anything else is `ERR_LDS_INVALID`.
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG` (another file), `ERR_LDS_INVALID` (malformed TLV)
 * @example
 * const node = readLDSFile(dg1Bytes, LDS_TAG.DG1);
 * node.value; // the contents (5F1F …)
 */
export function readLDSFile(bytes: Uint8Array, expectedTag: number): Node {
  let node: Node;
  try {
    node = readNode(bytes, 0, { der: false });
  } catch (cause) {
    throw (
      truncatedFile('lds', bytes) ?? new LDSError('ERR_LDS_INVALID', 'lds: malformed outer TLV', { cause })
    );
  }
  if (node.id !== expectedTag)
    throw new LDSError(
      'ERR_LDS_UNEXPECTED_TAG',
      `lds: expected file tag 0x${expectedTag.toString(16)}, found 0x${node.id.toString(16)}`,
    );
  if (!node.constructed) throw new LDSError('ERR_LDS_INVALID', 'lds: outer TLV must be constructed');
  for (let i = node.raw.length; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x00 && b !== 0xff)
      throw new LDSError('ERR_LDS_INVALID', 'lds: trailing data after the outer TLV is not padding');
  }
  return node;
}

/**
 * Runs `fn`, turning any failure into an `LDSError` with `code` (LDSErrors pass through unchanged,
 * so `ERR_LDS_UNEXPECTED_TAG` and friends keep their code). Internal helper for the DG parsers.
 */
export function withLDSErrors<T>(code: ErrorCode, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof LDSError) throw cause;
    if (cause instanceof ChipIdError && cause.code === code) throw cause;
    throw new LDSError(code, message, { cause });
  }
}
