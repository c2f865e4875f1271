/** Unit tests: registry matching rules, chip date handling, scope and claims (no I/O). */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../lib/crypto.ts';
import { problemType } from '../problems.ts';
import { jsonPointer } from '../validation.ts';
import { claimsFor, effectiveScope } from './assertion.ts';
import { ageOn, type ChipFacts, parseDMY, parseYYMMDD } from './facts.ts';
import { birthMatch, nameKey, namesMatch, transliterate } from './registry-check.ts';

const facts = (over: Partial<ChipFacts> = {}): ChipFacts => ({
  documentNumber: '093047064',
  idNumber: '001093047064',
  fullName: 'Ứng Hoàng Hiệp',
  mrzName: 'UNG HOANG HIEP',
  mrzNameTruncated: false,
  familyName: 'Ứng',
  givenName: 'Hoàng Hiệp',
  birthDate: { year: 1993, month: 1, day: 5 },
  sex: 'M',
  nationality: 'VNM',
  issuingState: 'VNM',
  ...over,
});

describe('names', () => {
  it('DG13 names compare NFC and case-insensitively', () => {
    const decomposed = 'Ứng Hoàng Hiệp'.normalize('NFD');
    expect(namesMatch(facts(), decomposed)).toBe(true);
    expect(namesMatch(facts(), 'ỨNG  HOÀNG HIỆP')).toBe(true);
    expect(namesMatch(facts(), 'Ứng Hoàng Hà')).toBe(false);
    expect(nameKey('Đặng Thị Ánh')).toBe(nameKey('ĐẶNG THỊ ÁNH'));
  });

  it('without DG13 the MRZ name is compared with the transliterated registry name (Doc 9303 Part 3)', () => {
    const { fullName: _dropped, ...noDG13 } = facts();
    expect(transliterate('Đặng Thị Ánh')).toBe('DANG THI ANH');
    expect(namesMatch(noDG13, 'Ứng Hoàng Hiệp')).toBe(true);
    expect(namesMatch(noDG13, 'Ưng Hoàng Hiếu')).toBe(false);
    const truncated = { ...noDG13, mrzName: 'NGUYEN THI PHUONG THAO MINH AN', mrzNameTruncated: true };
    expect(namesMatch(truncated, 'Nguyễn Thị Phương Thảo Minh Anh')).toBe(true);
  });
});

describe('birth dates', () => {
  it('match on what the registry knows and report the precision', () => {
    expect(birthMatch(facts(), '1993-01-05')).toEqual({ ok: true, precision: 'day' });
    expect(birthMatch(facts(), '1993-01')).toEqual({ ok: true, precision: 'month' });
    expect(birthMatch(facts(), '1993')).toEqual({ ok: true, precision: 'year' });
    expect(birthMatch(facts(), '1993-02')).toEqual({ ok: false, precision: 'month' });
    expect(birthMatch(facts(), '1994')).toEqual({ ok: false, precision: 'year' });
    expect(birthMatch(facts(), 'garbage').ok).toBe(false);
  });

  it('DD/MM/YYYY and YYMMDD parsing, century from the CCCD id', () => {
    expect(parseDMY('05/01/1993')).toEqual({ year: 1993, month: 1, day: 5 });
    expect(parseDMY('31/02/1993')).toBeUndefined();
    expect(parseYYMMDD('930105', { century: 1900 })).toEqual({ year: 1993, month: 1, day: 5 });
    expect(parseYYMMDD('050105', { century: 2000 })).toEqual({ year: 2005, month: 1, day: 5 });
    expect(parseYYMMDD('330105', { future: true })).toEqual({ year: 2033, month: 1, day: 5 });
    expect(parseYYMMDD('991301')).toBeUndefined();
  });

  it('age on a date (birthday not yet reached counts one less)', () => {
    const b = { year: 2008, month: 6, day: 15 };
    expect(ageOn(b, new Date('2026-06-14T00:00:00Z'))).toBe(17);
    expect(ageOn(b, new Date('2026-06-15T00:00:00Z'))).toBe(18);
  });
});

describe('scope and claims', () => {
  it('claims are the intersection of registered and requested scope', () => {
    const scope = effectiveScope(['name', 'age_over_18'], ['age_over_18', 'birthdate', 'address']);
    expect([...scope]).toEqual(['age_over_18']);
    const c = claimsFor(scope, facts(), new Date('2026-01-01T00:00:00Z'));
    expect(c).toEqual({ age_over_18: true });
  });

  it('names follow the MRZ split (family name first)', () => {
    const c = claimsFor(new Set(['family_name', 'given_name', 'gender', 'nationality']), facts(), new Date());
    expect(c).toEqual({ family_name: 'Ứng', given_name: 'Hoàng Hiệp', gender: 'male', nationality: 'VNM' });
  });
});

describe('wire helpers', () => {
  it('problem type URIs and JSON pointers (RFC 6901 escaping)', () => {
    expect(problemType('ERR_IDEMPOTENCY_CONFLICT')).toBe('urn:chipid:problem:idempotency-conflict');
    expect(jsonPointer(['chip', 'aa', 'challenge'])).toBe('/chip/aa/challenge');
    expect(jsonPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
    expect(jsonPointer([])).toBe('');
  });

  it('canonical JSON sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }], e: null })).toBe(
      '{"a":[{"c":"x"}],"b":1,"e":null}',
    );
  });
});
