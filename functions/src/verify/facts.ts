/**
 * Identity facts read from a chip whose data groups passed passive authentication: DG13 (Vietnam
 * CCCD details, preferred: full Unicode name and DD/MM/YYYY dates) and DG1 (Doc 9303 Part 5 TD1 MRZ:
 * document number, YYMMDD dates, transliterated name, 12-digit id in the optional data).
 */
import { cccdIdInfo, type DG1, type DG13, parseDG1, parseDG13 } from '@chipid/sdk';

/** A calendar date; month/day absent when the source knows only part of it. */
export interface PartialDate {
  year: number;
  month?: number;
  day?: number;
}

export interface ChipFacts {
  documentNumber: string;
  /** 12-digit personal id (DG13 field 1, or the TD1 optional data). */
  idNumber?: string;
  /** Full name with diacritics (DG13), NFC. */
  fullName?: string;
  /** MRZ name, `SURNAME GIVEN NAMES` (A–Z and spaces). */
  mrzName: string;
  /** True when the MRZ name filled its line (it may be truncated). */
  mrzNameTruncated: boolean;
  familyName: string;
  givenName: string;
  birthDate?: PartialDate;
  sex?: 'M' | 'F';
  /** ICAO 3-letter code (DG1). */
  nationality: string;
  issuingState: string;
  /** ISO date `YYYY-MM-DD` (DG1). */
  dateOfExpiry?: string;
  /** ISO date `YYYY-MM-DD` (DG13 field 11). */
  dateOfIssue?: string;
  placeOfOrigin?: string;
  placeOfResidence?: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `PartialDate` → `YYYY-MM-DD` (only when complete). */
export function isoDate(d: PartialDate | undefined): string | undefined {
  return d?.month && d.day ? `${d.year}-${pad(d.month)}-${pad(d.day)}` : undefined;
}

function validDate(y: number, m: number, d: number): PartialDate | undefined {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d
    ? { year: y, month: m, day: d }
    : undefined;
}

/** `DD/MM/YYYY` (DG13) → date. */
export function parseDMY(s: string | undefined): PartialDate | undefined {
  const m = s ? /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(s) : null;
  return m ? validDate(Number(m[3]), Number(m[2]), Number(m[1])) : undefined;
}

/** `YYMMDD` (MRZ) → date, with the century from `century` or a pivot on `now`. */
export function parseYYMMDD(
  s: string,
  opts: { century?: number; future?: boolean; now?: Date } = {},
): PartialDate | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const yy = Number(m[1]);
  const nowY = (opts.now ?? new Date()).getUTCFullYear();
  let year: number;
  if (opts.century !== undefined) year = opts.century + yy;
  else if (opts.future) year = 2000 + yy;
  else year = 2000 + yy > nowY ? 1900 + yy : 2000 + yy;
  return validDate(year, Number(m[2]), Number(m[3]));
}

function sexOfDG13(s: string | undefined): 'M' | 'F' | undefined {
  const t = s?.normalize('NFC').trim().toLowerCase();
  if (t === 'nam' || t === 'male' || t === 'm') return 'M';
  if (t === 'nữ' || t === 'nu' || t === 'female' || t === 'f') return 'F';
  return undefined;
}

/**
 * Facts from DG1 (required) and DG13 (optional). Throws the SDK's `ChipIdError` on malformed files.
 *
 * @example
 * const facts = chipFacts(dump.dg1, dump.dg13);
 */
export function chipFacts(dg1Bytes: Uint8Array, dg13Bytes?: Uint8Array, now = new Date()): ChipFacts {
  const dg1: DG1 = parseDG1(dg1Bytes);
  const dg13: DG13 | undefined = dg13Bytes ? parseDG13(dg13Bytes) : undefined;
  const mrz = dg1.mrz;
  const opt = /^\d{12}$/.exec(mrz.optionalData.replaceAll('<', ''))?.[0];
  const idNumber = dg13?.idNumber && /^\d{12}$/.test(dg13.idNumber) ? dg13.idNumber : opt;
  let century: number | undefined;
  if (idNumber) {
    try {
      century = cccdIdInfo(idNumber).century;
    } catch {
      century = undefined;
    }
  }
  const fromDG13 = parseDMY(dg13?.dateOfBirth);
  const birthDate =
    fromDG13 ?? parseYYMMDD(mrz.dateOfBirth, century !== undefined ? { century, now } : { now });
  const expiry = parseYYMMDD(mrz.dateOfExpiry, { future: true });
  const fullName = dg13?.fullName?.normalize('NFC').trim().replace(/\s+/g, ' ');
  const mrzName = [mrz.surname, mrz.givenNames]
    .filter((x) => x.length > 0)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const words = (fullName ?? mrzName).split(' ');
  const sex = sexOfDG13(dg13?.sex) ?? (mrz.sex === 'X' ? undefined : mrz.sex);
  const facts: ChipFacts = {
    documentNumber: mrz.documentNumber,
    mrzName,
    mrzNameTruncated: (mrz.lines[2] ?? '').replace(/<+$/, '').length >= 30,
    familyName: words[0] ?? '',
    givenName: words.slice(1).join(' '),
    nationality: mrz.nationality,
    issuingState: mrz.issuingState,
  };
  if (idNumber) facts.idNumber = idNumber;
  if (fullName) facts.fullName = fullName;
  if (birthDate) facts.birthDate = birthDate;
  if (sex) facts.sex = sex;
  const exp = isoDate(expiry);
  if (exp) facts.dateOfExpiry = exp;
  const issued = isoDate(parseDMY(dg13?.dateOfIssue));
  if (issued) facts.dateOfIssue = issued;
  if (dg13?.placeOfOrigin) facts.placeOfOrigin = dg13.placeOfOrigin.normalize('NFC');
  if (dg13?.placeOfResidence) facts.placeOfResidence = dg13.placeOfResidence.normalize('NFC');
  return facts;
}

/** Age in whole years on `at`. */
export function ageOn(birth: PartialDate, at: Date): number {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth() + 1;
  const d = at.getUTCDate();
  let age = y - birth.year;
  if (m < (birth.month ?? 12) || (m === (birth.month ?? 12) && d < (birth.day ?? 31))) age--;
  return age;
}
