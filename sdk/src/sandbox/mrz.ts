/**
 * MRZ writer for the sandbox — ICAO Doc 9303 Part 3 §4.9 (check digits, 7-3-1 weights), Part 3 §4.6
 * (name transliteration and `<` fillers) and Part 5 §4.2.2 (TD1 layout), laid out as on a Vietnam CCCD:
 * the document number is the last 9 digits of the 12-digit personal id, and optional data 1 holds the
 * full id followed by fillers and the id's own check digit in the last position.
 *
 * This is the ENCODING side, written independently of the SDK's MRZ parser so each tests the other.
 */

/** Value of an MRZ character for check digits (Doc 9303 Part 3 §4.9): 0–9, A–Z = 10–35, `<` = 0. */
function charValue(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55;
  if (c === '<') return 0;
  throw new RangeError('mrz: character outside the MRZ alphabet');
}

/**
 * Check digit of an MRZ field (weights 7, 3, 1 repeating, sum mod 10).
 *
 * @example
 * mrzCheckDigit('L898902C3'); // '6' — Doc 9303 Part 3 §4.9 worked example
 */
export function mrzCheckDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += charValue(field[i]!) * ([7, 3, 1] as const)[i % 3]!;
  return String(sum % 10);
}

/** Pads (with `<`) or truncates to `n` characters. */
const fit = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + '<'.repeat(n - s.length));

/**
 * Vietnamese (or any Latin) text to MRZ characters: diacritics removed (Đ/đ → D), upper case, anything
 * outside A–Z/0–9 becomes `<`.
 *
 * @example
 * mrzTransliterate('Ứng Hoàng Hiệp'); // 'UNG<HOANG<HIEP'
 */
export function mrzTransliterate(text: string): string {
  return text
    .replace(/[Đđ]/g, 'D')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '<')
    .replace(/^<+|<+$/g, '');
}

/**
 * Name field of a Vietnamese full name: the first word is the surname (họ), the rest the given names
 * (tên đệm + tên): `SURNAME<<GIVEN<NAMES`, truncated to `width` by cutting the given names first
 * (Doc 9303 Part 3 §4.6.4, simplified).
 *
 * @example
 * mrzName('Ứng Hoàng Hiệp'); // 'UNG<<HOANG<HIEP<<<<<<<<<<<<<<<'
 */
export function mrzName(fullName: string, width = 30): string {
  const words = fullName.trim().split(/\s+/);
  const surname = mrzTransliterate(words[0] ?? '');
  const given = mrzTransliterate(words.slice(1).join(' '));
  let s = given ? `${surname}<<${given}` : surname;
  if (s.length > width) s = s.slice(0, width).replace(/<+$/, '');
  return fit(s, width);
}

/** `YYYY-MM-DD` → `YYMMDD`. */
export function mrzDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError('mrz: date must be YYYY-MM-DD');
  return `${m[1]!.slice(2)}${m[2]}${m[3]}`;
}

/** Fields of a CCCD TD1 MRZ. */
export interface CCCDMRZFields {
  /** 12-digit personal id number. */
  idNumber: string;
  /** 9-character document number; defaults to the last 9 digits of `idNumber` (CCCD rule). */
  documentNumber?: string;
  /** ICAO 3-letter issuing state (default `VNM`). */
  issuingState?: string;
  /** ICAO 3-letter nationality (default `VNM`). */
  nationality?: string;
  birthDate: string;
  sex: 'M' | 'F' | 'X';
  expiryDate: string;
  fullName: string;
}

/**
 * The three 30-character lines of a Vietnam CCCD TD1 MRZ (Doc 9303 Part 5 §4.2.2; composite check
 * digit over line 1 positions 6–30, line 2 positions 1–7, 9–15 and 19–29).
 *
 * @example
 * cccdMRZ({ idNumber: '001093047064', birthDate: '1993-01-05', sex: 'M', expiryDate: '2033-01-05', fullName: 'Ứng Hoàng Hiệp' })[0];
 * // 'IDVNM0930470641001093047064<<2'
 */
export function cccdMRZ(f: CCCDMRZFields): [string, string, string] {
  if (!/^\d{12}$/.test(f.idNumber)) throw new RangeError('mrz: id number must be 12 digits');
  const docNo = fit(f.documentNumber ?? f.idNumber.slice(3), 9);
  const optional1 = `${f.idNumber}<<${mrzCheckDigit(f.idNumber)}`;
  const line1 = `ID${fit(f.issuingState ?? 'VNM', 3)}${docNo}${mrzCheckDigit(docNo)}${optional1}`;
  const dob = mrzDate(f.birthDate);
  const doe = mrzDate(f.expiryDate);
  const optional2 = '<'.repeat(11);
  const upper = line1.slice(5, 30);
  const middle = `${dob}${mrzCheckDigit(dob)}${f.sex === 'X' ? '<' : f.sex}${doe}${mrzCheckDigit(doe)}${fit(f.nationality ?? 'VNM', 3)}${optional2}`;
  const composite = mrzCheckDigit(upper + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29));
  const line2 = middle + composite;
  const line3 = mrzName(f.fullName);
  if (line1.length !== 30 || line2.length !== 30) throw new RangeError('mrz: internal layout error');
  return [line1, line2, line3];
}
