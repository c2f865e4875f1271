/**
 * Machine Readable Zone — ICAO Doc 9303 Part 3 §4.9 (check digits, 7-3-1 weights), Part 4 (TD3,
 * 2×44), Part 5 (TD1, 3×30) and Part 6 (TD2, 2×36), plus the Part 11 §9.7.1 "MRZ information" that
 * BAC keys are derived from.
 */
import { LDSError } from '../errors.ts';

/** Size of the document: TD1 (ID card, 3×30), TD2 (2×36), TD3 (passport, 2×44). */
export type MRZFormat = 'TD1' | 'TD2' | 'TD3';

/** Field a check digit protects. */
export type MRZCheckField = 'documentNumber' | 'dateOfBirth' | 'dateOfExpiry' | 'optionalData' | 'composite';

/** Outcome of one check digit. */
export interface MRZCheck {
  readonly field: MRZCheckField;
  readonly ok: boolean;
}

/** A parsed MRZ. Text fields keep the MRZ characters; fillers are removed as described per field. */
export interface MRZ {
  readonly format: MRZFormat;
  /** Document code without trailing fillers: `'P'`, `'I'`, `'ID'`, `'AC'` … */
  readonly documentCode: string;
  /** Issuing state or organisation (ICAO 3-letter code, fillers removed: `'D'`, `'VNM'`). */
  readonly issuingState: string;
  /** Full document number, fillers removed; for TD1/TD2 including the part that overflowed into the optional data. */
  readonly documentNumber: string;
  /**
   * TD3: the personal number; TD1: optional data of line 1 (after any document-number overflow);
   * TD2: the optional data. Trailing fillers removed, inner ones kept.
   */
  readonly optionalData: string;
  /** TD1 only: optional data of line 2, trailing fillers removed. */
  readonly optionalData2?: string;
  /** `YYMMDD` as in the MRZ. */
  readonly dateOfBirth: string;
  /** `YYMMDD` as in the MRZ. */
  readonly dateOfExpiry: string;
  /** `'M'`, `'F'`, or `'X'` (unspecified: `<` or `X` in the MRZ). */
  readonly sex: 'M' | 'F' | 'X';
  /** Nationality (ICAO 3-letter code, fillers removed). */
  readonly nationality: string;
  /** Primary identifier; fillers become single spaces. */
  readonly surname: string;
  /** Secondary identifier; fillers become single spaces. */
  readonly givenNames: string;
  /** Every check digit of the format, in MRZ order. */
  readonly checks: MRZCheck[];
  /** True when every check digit matches. */
  readonly valid: boolean;
  /** The MRZ lines as read. */
  readonly lines: string[];
}

const WEIGHTS = [7, 3, 1] as const;

function charValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  if (c === 0x3c) return 0;
  throw new LDSError('ERR_MRZ_INVALID', 'mrz: character outside the MRZ character set');
}

/**
 * Check digit of an MRZ field (Doc 9303 Part 3 §4.9): weights 7-3-1, `0`–`9` = 0–9, `A`–`Z` = 10–35,
 * `<` = 0; the sum modulo 10.
 *
 * @throws LDSError `ERR_MRZ_INVALID` on a character outside `0-9A-Z<`
 * @example
 * checkDigit('L898902C<'); // 3
 */
export function checkDigit(field: string): number {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += charValue(field.charCodeAt(i)) * WEIGHTS[i % 3]!;
  return sum % 10;
}

const stripFillers = (s: string): string => s.replace(/<+$/, '');
const fillersToSpaces = (s: string): string => s.replace(/<+/g, ' ').trim();

function digitOk(field: string, digit: string, allowFillerWhenEmpty = false): boolean {
  if (allowFillerWhenEmpty && digit === '<' && /^<*$/.test(field)) return true;
  if (!/^[0-9]$/.test(digit)) return false;
  return checkDigit(field) === Number(digit);
}

function parseName(field: string): { surname: string; givenNames: string } {
  const i = field.indexOf('<<');
  if (i < 0) return { surname: fillersToSpaces(field), givenNames: '' };
  return { surname: fillersToSpaces(field.slice(0, i)), givenNames: fillersToSpaces(field.slice(i + 2)) };
}

function parseSex(c: string): 'M' | 'F' | 'X' {
  if (c === 'M' || c === 'F') return c;
  if (c === '<' || c === 'X') return 'X';
  throw new LDSError('ERR_MRZ_INVALID', 'mrz: invalid sex field');
}

/**
 * Document number with the TD1/TD2 overflow rule (Doc 9303 Part 5 §4.2.2 note j, Part 6): when the
 * number is longer than 9 characters, the check-digit position holds `<`, and the remaining
 * characters followed by the check digit start the optional data.
 */
function documentNumberWithOverflow(
  principal: string,
  digit: string,
  optional: string,
): { number: string; digitOk: boolean; rest: string } {
  if (digit === '<' && optional.length > 0 && optional[0] !== '<') {
    const end = optional.indexOf('<');
    const ext = end < 0 ? optional : optional.slice(0, end);
    if (ext.length >= 2) {
      const full = principal + ext.slice(0, -1);
      const d = ext.slice(-1);
      return {
        number: stripFillers(full),
        digitOk: digitOk(full, d),
        rest: end < 0 ? '' : optional.slice(end + 1),
      };
    }
  }
  return { number: stripFillers(principal), digitOk: digitOk(principal, digit), rest: optional };
}

function splitLines(text: string): string[] {
  if (typeof text !== 'string') throw new LDSError('ERR_MRZ_INVALID', 'mrz: expected a string');
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const joined = lines.join('');
  const width = joined.length === 90 ? 30 : joined.length === 72 ? 36 : joined.length === 88 ? 44 : 0;
  if (width === 0) throw new LDSError('ERR_MRZ_INVALID', 'mrz: length matches none of TD1, TD2, TD3');
  if (lines.length > 1 && lines.some((l) => l.length !== width))
    throw new LDSError('ERR_MRZ_INVALID', 'mrz: line lengths do not match the format');
  if (!/^[0-9A-Z<]+$/.test(joined))
    throw new LDSError('ERR_MRZ_INVALID', 'mrz: character outside the MRZ character set');
  const out: string[] = [];
  for (let i = 0; i < joined.length; i += width) out.push(joined.slice(i, i + width));
  return out;
}

/**
 * Parses a TD1, TD2 or TD3 MRZ: either the lines separated by line breaks, or the lines
 * concatenated (as DG1 stores them). Check-digit failures do not throw: the result has
 * `valid: false` and `checks` says which failed (use {@link assertMRZValid} to require them).
 *
 * @throws LDSError `ERR_MRZ_INVALID` on a wrong length or character set
 * @example
 * const mrz = parseMRZ('P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10');
 * mrz.documentNumber; // 'L898902C3'
 * mrz.valid;          // true
 */
export function parseMRZ(text: string): MRZ {
  const lines = splitLines(text);
  const l1 = lines[0]!;
  const l2 = lines[1]!;
  const documentCode = stripFillers(l1.slice(0, 2));
  const issuingState = stripFillers(l1.slice(2, 5));
  if (lines.length === 3) {
    const l3 = lines[2]!;
    const doc = documentNumberWithOverflow(l1.slice(5, 14), l1[14]!, l1.slice(15, 30));
    const dateOfBirth = l2.slice(0, 6);
    const dateOfExpiry = l2.slice(8, 14);
    const composite = l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29);
    const checks: MRZCheck[] = [
      { field: 'documentNumber', ok: doc.digitOk },
      { field: 'dateOfBirth', ok: digitOk(dateOfBirth, l2[6]!) },
      { field: 'dateOfExpiry', ok: digitOk(dateOfExpiry, l2[14]!) },
      { field: 'composite', ok: digitOk(composite, l2[29]!) },
    ];
    return {
      format: 'TD1',
      documentCode,
      issuingState,
      documentNumber: doc.number,
      optionalData: stripFillers(doc.rest),
      optionalData2: stripFillers(l2.slice(18, 29)),
      dateOfBirth,
      dateOfExpiry,
      sex: parseSex(l2[7]!),
      nationality: stripFillers(l2.slice(15, 18)),
      ...parseName(l3),
      checks,
      valid: checks.every((c) => c.ok),
      lines,
    };
  }
  const td3 = l1.length === 44;
  const optEnd = td3 ? 42 : 35;
  const dateOfBirth = l2.slice(13, 19);
  const dateOfExpiry = l2.slice(21, 27);
  const composite = l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, optEnd + (td3 ? 1 : 0));
  let documentNumber: string;
  let optionalData: string;
  const checks: MRZCheck[] = [];
  if (td3) {
    documentNumber = stripFillers(l2.slice(0, 9));
    optionalData = stripFillers(l2.slice(28, 42));
    checks.push({ field: 'documentNumber', ok: digitOk(l2.slice(0, 9), l2[9]!) });
  } else {
    const doc = documentNumberWithOverflow(l2.slice(0, 9), l2[9]!, l2.slice(28, 35));
    documentNumber = doc.number;
    optionalData = stripFillers(doc.rest);
    checks.push({ field: 'documentNumber', ok: doc.digitOk });
  }
  checks.push(
    { field: 'dateOfBirth', ok: digitOk(dateOfBirth, l2[19]!) },
    { field: 'dateOfExpiry', ok: digitOk(dateOfExpiry, l2[27]!) },
  );
  // Part 4 §4.2.2: the personal-number check digit may be a filler when the field is all fillers.
  if (td3) checks.push({ field: 'optionalData', ok: digitOk(l2.slice(28, 42), l2[42]!, true) });
  checks.push({ field: 'composite', ok: digitOk(composite, l2[td3 ? 43 : 35]!) });
  return {
    format: td3 ? 'TD3' : 'TD2',
    documentCode,
    issuingState,
    documentNumber,
    optionalData,
    dateOfBirth,
    dateOfExpiry,
    sex: parseSex(l2[20]!),
    nationality: stripFillers(l2.slice(10, 13)),
    ...parseName(l1.slice(5)),
    checks,
    valid: checks.every((c) => c.ok),
    lines,
  };
}

const CHECK_LABEL: Record<MRZCheckField, string> = {
  documentNumber: 'document number',
  dateOfBirth: 'date of birth',
  dateOfExpiry: 'date of expiry',
  optionalData: 'optional data',
  composite: 'composite',
};

/**
 * Throws when any check digit of `mrz` failed (the first failing one is named).
 *
 * @throws LDSError `ERR_MRZ_CHECK_DIGIT`, e.g. `mrz: check digit mismatch (document number)`
 * @example
 * assertMRZValid(parseMRZ(text));
 */
export function assertMRZValid(mrz: MRZ): void {
  const bad = mrz.checks.find((c) => !c.ok);
  if (bad) throw new LDSError('ERR_MRZ_CHECK_DIGIT', `mrz: check digit mismatch (${CHECK_LABEL[bad.field]})`);
}

/**
 * The "MRZ information" BAC keys are derived from (Doc 9303 Part 11 §9.7.1): document number
 * (at least 9 characters, padded with `<`) + its check digit, date of birth + check digit, date of
 * expiry + check digit. Check digits are computed from the values, not copied from the MRZ.
 *
 * @example
 * mrzInformation(parseMRZ(td3)); // 'L898902C<369080619406236' for the Part 11 Appendix D example
 */
export function mrzInformation(mrz: Pick<MRZ, 'documentNumber' | 'dateOfBirth' | 'dateOfExpiry'>): string {
  const doc = mrz.documentNumber.padEnd(9, '<');
  return (
    doc +
    checkDigit(doc) +
    mrz.dateOfBirth +
    checkDigit(mrz.dateOfBirth) +
    mrz.dateOfExpiry +
    checkDigit(mrz.dateOfExpiry)
  );
}
