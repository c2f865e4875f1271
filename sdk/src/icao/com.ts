/**
 * EF.COM — Doc 9303 Part 10 §4.6.1: LDS version (5F01), Unicode version (5F36) and the tag list (5C)
 * of the data groups present.
 */
import { Reader } from '../asn1/der.ts';
import { fromLatin1 } from '../lib/bytes.ts';
import { DG_NUMBER_BY_TAG, LDS_TAG, readLDSFile, withLDSErrors } from './lds.ts';

/** Parsed EF.COM. */
export interface COM {
  /** LDS version as stored, e.g. `'0107'` (LDS 1.7). */
  readonly ldsVersion: string;
  /** Unicode version as stored, e.g. `'040000'`. */
  readonly unicodeVersion: string;
  /** Every tag of the tag list, in order (unknown tags included). */
  readonly tags: number[];
  /** Data-group numbers of the known tags in the tag list, in order. */
  readonly dataGroups: number[];
}

const TAG_LDS_VERSION = 0x5f01;
const TAG_UNICODE_VERSION = 0x5f36;
const TAG_TAG_LIST = 0x5c;

/**
 * Parses EF.COM.
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID`
 * @example
 * const com = parseCOM(bytes);
 * com.dataGroups; // [1, 2, 3, 14, 15]
 */
export function parseCOM(bytes: Uint8Array): COM {
  const outer = readLDSFile(bytes, LDS_TAG.COM);
  return withLDSErrors('ERR_LDS_INVALID', 'com: malformed EF.COM', () => {
    const r = new Reader(outer, { der: false });
    const lds = r.next(TAG_LDS_VERSION);
    const uni = r.next(TAG_UNICODE_VERSION);
    const list = r.next(TAG_TAG_LIST);
    r.end();
    const ldsVersion = fromLatin1(lds.value);
    const unicodeVersion = fromLatin1(uni.value);
    if (!/^\d{4}$/.test(ldsVersion)) throw new Error('bad LDS version');
    if (!/^\d{6}$/.test(unicodeVersion)) throw new Error('bad Unicode version');
    const tags = [...list.value];
    const dataGroups: number[] = [];
    for (const t of tags) {
      const n = DG_NUMBER_BY_TAG.get(t);
      if (n !== undefined) dataGroups.push(n);
    }
    return { ldsVersion, unicodeVersion, tags, dataGroups };
  });
}
