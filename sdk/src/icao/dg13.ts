/**
 * DG13 — Vietnam CCCD optional details (Doc 9303 Part 10 §4.7.13 leaves DG13's content to the issuer).
 *
 * Layout seen on cards (public CCCD readers decoding real chips):
 * `6D { SEQUENCE { INTEGER version, OID 1.0.10646.1.0.8 (UTF-8), SET { SEQUENCE { INTEGER n, value } … } } }`,
 * where `value` is a UTF8String (PrintableString accepted), and field 13 (parents) / 14 (spouse) hold a
 * nested SEQUENCE of strings. A flat `6D { SEQUENCE { INTEGER n, value } … }` is accepted too. Fields
 * are read by id, never by position; unknown ids are kept. Text is returned exactly as stored (no
 * Unicode normalisation). Sources disagree on ids 15–16: 16 is mapped to `oldIdNumber` (9-digit
 * CMND) and 15 is kept under `unknown`.
 *
 * The 12-digit personal id number follows Circular 07/2016/TT-BCA: province (3), sex/century (1),
 * birth year (2), serial (6) — see {@link cccdIdInfo}.
 */
import { children, type Node, readInt, readOID, readString, TAG } from '../asn1/der.ts';
import { ChipIdError, LDSError } from '../errors.ts';
import { fromUtf8 } from '../lib/bytes.ts';
import { LDS_TAG, readLDSFile, withLDSErrors } from './lds.ts';

/** One DG13 field: its id and every string it holds (nested sequences flattened, in order). */
export interface DG13Field {
  readonly id: number;
  readonly values: string[];
}

/** Parsed CCCD DG13. Named properties are present only when the card has the field. */
export interface DG13 {
  /** Structure version (the INTEGER before the encoding OID), when present. */
  readonly version?: number;
  /** Character-encoding OID (`1.0.10646.1.0.8` = UTF-8), when present. */
  readonly encoding?: string;
  /** 1 — 12-digit personal id number. */
  readonly idNumber?: string;
  /** 2 — full name (with diacritics). */
  readonly fullName?: string;
  /** 3 — date of birth as printed, `DD/MM/YYYY`. */
  readonly dateOfBirth?: string;
  /** 4 — sex as printed (`Nam` / `Nữ`). */
  readonly sex?: string;
  /** 5 — nationality as printed (`Việt Nam`). */
  readonly nationality?: string;
  /** 6 — ethnicity. */
  readonly ethnicity?: string;
  /** 7 — religion. */
  readonly religion?: string;
  /** 8 — place of origin (quê quán). */
  readonly placeOfOrigin?: string;
  /** 9 — place of residence (nơi thường trú). */
  readonly placeOfResidence?: string;
  /** 10 — identifying marks (đặc điểm nhận dạng). */
  readonly identifyingMarks?: string;
  /** 11 — date of issue, `DD/MM/YYYY`. */
  readonly dateOfIssue?: string;
  /** 12 — date of expiry, `DD/MM/YYYY` (or text such as `Không thời hạn`). */
  readonly dateOfExpiry?: string;
  /** 13 — first string: father's name. */
  readonly fatherName?: string;
  /** 13 — second string: mother's name. */
  readonly motherName?: string;
  /** 14 — spouse's name. */
  readonly spouseName?: string;
  /** 16 — old 9-digit id number (CMND). */
  readonly oldIdNumber?: string;
  /** Every field, in card order. */
  readonly fields: DG13Field[];
  /** Fields with ids this parser does not name (15, and anything else). */
  readonly unknown: DG13Field[];
}

const SIMPLE: Record<number, keyof DG13> = {
  1: 'idNumber',
  2: 'fullName',
  3: 'dateOfBirth',
  4: 'sex',
  5: 'nationality',
  6: 'ethnicity',
  7: 'religion',
  8: 'placeOfOrigin',
  9: 'placeOfResidence',
  10: 'identifyingMarks',
  11: 'dateOfIssue',
  12: 'dateOfExpiry',
  16: 'oldIdNumber',
};
const KNOWN = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16]);

const STRING_TAGS = new Set<number>([
  TAG.UTF8_STRING,
  TAG.PRINTABLE_STRING,
  TAG.IA5_STRING,
  TAG.VISIBLE_STRING,
  TAG.T61_STRING,
  TAG.BMP_STRING,
]);
const MAX_DEPTH = 4;
const BER = { der: false };

const fail = (rule: string): never => {
  throw new LDSError('ERR_DG13_INVALID', `dg13: ${rule}`);
};

/** Strings inside a value, depth-first (nested SEQUENCE/SET flattened). */
function strings(node: Node, depth: number, out: string[]): void {
  if (STRING_TAGS.has(node.id)) {
    out.push(readString(node));
  } else if (node.id === TAG.OCTET_STRING) {
    out.push(fromUtf8(node.value));
  } else if (node.id === TAG.SEQUENCE || node.id === TAG.SET) {
    if (depth >= MAX_DEPTH) fail('values nested too deeply');
    for (const c of children(node, BER)) strings(c, depth + 1, out);
  } else if (node.id !== TAG.NULL) {
    fail('field value is not a string');
  }
}

function isField(node: Node): boolean {
  if (node.id !== TAG.SEQUENCE) return false;
  const kids = children(node, BER);
  return kids[0]?.id === TAG.INTEGER && !kids.some((k) => k.id === TAG.OID);
}

/** Finds the list of field SEQUENCEs, accepting the wrapped (version, OID, SET) and flat layouts. */
function locateFields(nodes: Node[], depth: number): { fields: Node[]; version?: number; encoding?: string } {
  const oidAt = nodes.findIndex((n) => n.id === TAG.OID);
  if (oidAt >= 0) {
    const encoding = readOID(nodes[oidAt]!);
    const before = nodes[oidAt - 1];
    const version = before?.id === TAG.INTEGER ? readInt(before) : undefined;
    const container = nodes.slice(oidAt + 1).find((n) => n.id === TAG.SET || n.id === TAG.SEQUENCE);
    if (!container) fail('no field list after the encoding identifier');
    return {
      fields: children(container as Node, BER),
      encoding,
      ...(version !== undefined ? { version } : {}),
    };
  }
  const only = nodes[0];
  if (nodes.length === 1 && only && (only.id === TAG.SEQUENCE || only.id === TAG.SET) && !isField(only)) {
    if (depth >= 3) fail('unrecognised layout');
    return locateFields(children(only, BER), depth + 1);
  }
  return { fields: nodes };
}

/**
 * Parses a Vietnam CCCD DG13.
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID`, `ERR_DG13_INVALID`
 * @example
 * const dg13 = parseDG13(bytes);
 * dg13.fullName;   // 'Ứng Hoàng Hiệp'
 * dg13.fatherName; // from field 13
 */
export function parseDG13(bytes: Uint8Array): DG13 {
  const outer = readLDSFile(bytes, LDS_TAG.DG13);
  return withLDSErrors('ERR_DG13_INVALID', 'dg13: malformed DG13', () => {
    const located = locateFields(children(outer, BER), 0);
    const fields: DG13Field[] = [];
    for (const f of located.fields) {
      if (f.id !== TAG.SEQUENCE) fail('field is not a SEQUENCE');
      const [idNode, ...rest] = children(f, BER);
      if (!idNode || idNode.id !== TAG.INTEGER) fail('field without an INTEGER id');
      const id = readInt(idNode as Node);
      if (id < 0) fail('negative field id');
      const values: string[] = [];
      for (const v of rest) strings(v, 0, values);
      fields.push({ id, values });
    }
    const out: Record<string, unknown> = {};
    if (located.version !== undefined) out.version = located.version;
    if (located.encoding !== undefined) out.encoding = located.encoding;
    const first = (id: number) => fields.find((f) => f.id === id && f.values.length > 0)?.values;
    for (const [id, key] of Object.entries(SIMPLE)) {
      const v = first(Number(id))?.[0];
      if (v !== undefined) out[key] = v;
    }
    const parents = first(13);
    if (parents?.[0] !== undefined) out.fatherName = parents[0];
    if (parents?.[1] !== undefined) out.motherName = parents[1];
    const spouse = first(14)?.[0];
    if (spouse !== undefined) out.spouseName = spouse;
    out.fields = fields;
    out.unknown = fields.filter((f) => !KNOWN.has(f.id));
    return out as unknown as DG13;
  });
}

/** What the 12-digit CCCD personal id number encodes (Circular 07/2016/TT-BCA). */
export interface CCCDIdInfo {
  /** 3-digit code of the province (or country, for births abroad) of birth registration: `'001'` = Hà Nội. */
  readonly provinceCode: string;
  readonly sex: 'M' | 'F';
  readonly century: 1900 | 2000 | 2100 | 2200 | 2300;
  readonly birthYear: number;
}

/**
 * Decodes a 12-digit CCCD id number: digits 1–3 province, digit 4 sex and century (0/1 male/female
 * born 1900–1999, 2/3 2000–2099, 4/5 2100s, 6/7 2200s, 8/9 2300s), digits 5–6 the year within the century.
 *
 * @throws ChipIdError `ERR_CCCD_ID_INVALID` unless the input is exactly 12 ASCII digits
 * @example
 * cccdIdInfo('001093047064'); // { provinceCode: '001', sex: 'M', century: 1900, birthYear: 1993 }
 */
export function cccdIdInfo(id12: string): CCCDIdInfo {
  if (typeof id12 !== 'string' || !/^[0-9]{12}$/.test(id12))
    throw new ChipIdError('ERR_CCCD_ID_INVALID', 'cccd: id number must be exactly 12 digits');
  const d = Number(id12[3]);
  const century = (1900 + Math.floor(d / 2) * 100) as CCCDIdInfo['century'];
  return {
    provinceCode: id12.slice(0, 3),
    sex: d % 2 === 0 ? 'M' : 'F',
    century,
    birthYear: century + Number(id12.slice(4, 6)),
  };
}
