/**
 * Sandbox registry seed — the issuing authority's records for the sandbox citizens and cards, one JSON
 * object per line (`infra/seed/sandbox-registry.jsonl`, loaded by the service's admin import).
 *
 * Record shapes (exact key order, so the committed file is byte-stable):
 * `{"kind":"citizen","idNumber","fullName","birthDate","sex","status","currentDocumentNumber"}` and
 * `{"kind":"card","documentNumber","idNumber","status","issuedOn","expiresOn"}`.
 */
import { type CitizenCard, readyCitizen } from './citizens.ts';
import { PROFILE_NAMES, type ProfileName } from './profiles.ts';

/** A citizen in the registry. `birthDate` is `YYYY-MM-DD`, or `YYYY` / `YYYY-MM` for legacy records. */
export interface CitizenRecord {
  kind: 'citizen';
  idNumber: string;
  fullName: string;
  birthDate: string;
  sex: 'M' | 'F';
  status: 'alive' | 'deceased';
  currentDocumentNumber: string;
}

/** A card in the registry. */
export interface CardRecord {
  kind: 'card';
  documentNumber: string;
  idNumber: string;
  status: 'active' | 'revoked' | 'lost' | 'replaced';
  issuedOn: string;
  expiresOn: string;
}

export type RegistryRecord = CitizenRecord | CardRecord;

/**
 * Sandbox convention for the `replaced-card` profile: the newer card gets the next document number.
 * (Real CCCD reissues keep the id-derived document number; the sandbox registry keys cards by document
 * number, so the two cards need distinct ones.)
 */
export function replacementDocumentNumber(documentNumber: string): string {
  const last = Number(documentNumber.slice(-1));
  return `${documentNumber.slice(0, -1)}${Number.isNaN(last) ? '0' : (last + 1) % 10}`;
}

/** A different full name for the `name-mismatch` profile (last given name changed). */
export function mismatchedName(fullName: string): string {
  const words = fullName.trim().split(/\s+/);
  const last = words.pop();
  return [...words, last === 'Hà' ? 'Hương' : 'Hà'].join(' ');
}

/** Issue date of the replacement card in the `replaced-card` profile. */
const REPLACEMENT_ISSUED_ON = '2023-11-11';

/**
 * Registry records describing `holder` the way `profile` needs (card status, citizen status, name…).
 *
 * @example
 * registryRecords('revoked-card', readyCitizen('revoked-card'));
 * // [{ kind: 'citizen', … }, { kind: 'card', …, status: 'revoked' }]
 */
export function registryRecords(profile: ProfileName, holder: CitizenCard): RegistryRecord[] {
  const { citizen, card } = holder;
  const newDocNo = profile === 'replaced-card' ? replacementDocumentNumber(card.documentNumber) : undefined;
  const citizenRecord: CitizenRecord = {
    kind: 'citizen',
    idNumber: citizen.idNumber,
    fullName: profile === 'name-mismatch' ? mismatchedName(citizen.fullName) : citizen.fullName,
    birthDate: profile === 'valid-legacy-record' ? citizen.birthDate.slice(0, 4) : citizen.birthDate,
    sex: citizen.sex,
    status: profile === 'deceased' ? 'deceased' : 'alive',
    currentDocumentNumber: newDocNo ?? card.documentNumber,
  };
  const status: CardRecord['status'] =
    profile === 'revoked-card'
      ? 'revoked'
      : profile === 'lost-card'
        ? 'lost'
        : profile === 'replaced-card'
          ? 'replaced'
          : 'active';
  const records: RegistryRecord[] = [
    citizenRecord,
    {
      kind: 'card',
      documentNumber: card.documentNumber,
      idNumber: citizen.idNumber,
      status,
      issuedOn: card.issuedOn,
      expiresOn: card.expiresOn,
    },
  ];
  if (newDocNo) {
    records.push({
      kind: 'card',
      documentNumber: newDocNo,
      idNumber: citizen.idNumber,
      status: 'active',
      issuedOn: REPLACEMENT_ISSUED_ON,
      expiresOn: card.expiresOn,
    });
  }
  return records;
}

/**
 * Every record of the sandbox registry seed (ready citizens of all profiles, in profile order).
 *
 * @example
 * const records = sandboxRegistry();
 */
export function sandboxRegistry(): RegistryRecord[] {
  return PROFILE_NAMES.flatMap((p) => registryRecords(p, readyCitizen(p)));
}

/**
 * The seed file's text: one JSON object per line, `\n`-terminated (`infra/seed/sandbox-registry.jsonl`).
 *
 * @example
 * process.stdout.write(sandboxRegistryJSONL());
 */
export function sandboxRegistryJSONL(): string {
  return sandboxRegistry()
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
}
