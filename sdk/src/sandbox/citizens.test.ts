/** Sandbox citizens: id numbers per Circular 07/2016/TT-BCA, CCCD validity per Law 59/2014/QH13 Art. 21. */
import { describe, expect, it } from 'vitest';
import { cccdIdInfo } from '../icao/dg13.ts';
import {
  cccdExpiry,
  idNumberConsistent,
  PROVINCES,
  READY_CITIZENS,
  randomCitizen,
  readyCitizen,
} from './citizens.ts';
import { PROFILE_NAMES } from './profiles.ts';
import { createRandom } from './random.ts';

describe('ready citizens', () => {
  it('exist for every profile, with distinct id numbers consistent with province, sex/century and birth year', () => {
    const ids = new Set<string>();
    for (const p of PROFILE_NAMES) {
      const { citizen, card } = readyCitizen(p);
      ids.add(citizen.idNumber);
      // Decoded by the SDK's own (independent) reader.
      const info = cccdIdInfo(citizen.idNumber);
      expect(info.provinceCode in PROVINCES, p).toBe(true);
      expect(info.sex, p).toBe(citizen.sex);
      expect(info.birthYear, p).toBe(Number(citizen.birthDate.slice(0, 4)));
      expect(idNumberConsistent(citizen.idNumber, citizen.sex, citizen.birthDate)).toBe(true);
      expect(card.documentNumber).toBe(citizen.idNumber.slice(3));
      expect(card.issuedOn >= '2021-01-01', p).toBe(true);
      // Valid until well after today, except the expired-card profile.
      if (p === 'expired-card') expect(card.expiresOn < '2026-01-01').toBe(true);
      else expect(card.expiresOn >= '2028-01-01', p).toBe(true);
      expect(citizen.fullName).toMatch(/[^\x00-\x7f]/); // diacritics
    }
    expect(ids.size).toBe(PROFILE_NAMES.length);
    expect(Object.keys(READY_CITIZENS).sort()).toEqual([...PROFILE_NAMES].sort());
  });
});

describe('cccdExpiry', () => {
  it('renews at 25, 40, 60 with the 2-year rule, none from 58', () => {
    expect(cccdExpiry('1993-01-05', '2021-05-01')).toBe('2033-01-05');
    expect(cccdExpiry('2000-02-15', '2021-04-01')).toBe('2025-02-15');
    // Issued within 2 years before 40: valid until 60.
    expect(cccdExpiry('1985-09-09', '2024-01-10')).toBe('2045-09-09');
    expect(cccdExpiry('1985-09-09', '2023-09-08')).toBe('2025-09-09');
    expect(cccdExpiry('1960-01-01', '2021-01-01')).toBeUndefined();
    expect(cccdExpiry('1988-02-29', '2021-08-05')).toBe('2028-02-29');
    expect(cccdExpiry('1984-02-29', '2021-08-05')).toBe('2024-02-29');
    expect(cccdExpiry('1989-03-01', '2021-08-05')).toBe('2029-03-01');
  });
});

describe('randomCitizen', () => {
  it('is deterministic per seed and always consistent', () => {
    expect(randomCitizen(createRandom('a'))).toEqual(randomCitizen(createRandom('a')));
    expect(randomCitizen(createRandom('a')).citizen.idNumber).not.toBe(
      randomCitizen(createRandom('b')).citizen.idNumber,
    );
    for (let i = 0; i < 50; i++) {
      const { citizen, card } = randomCitizen(createRandom(i));
      expect(idNumberConsistent(citizen.idNumber, citizen.sex, citizen.birthDate)).toBe(true);
      expect(card.expiresOn >= '2030-01-01').toBe(true);
      expect(card.documentNumber).toBe(citizen.idNumber.slice(3));
    }
  });
});
