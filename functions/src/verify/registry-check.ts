/**
 * Check 4 — the registry (DESIGN.md): the card exists, is the citizen's current card, is not revoked,
 * lost or replaced, is within validity; the citizen exists, is alive and matches the chip (name, birth
 * date, sex). Legacy records may know only the birth year or year and month: the match uses what the
 * record knows and says which precision it had.
 *
 * The registry is Vietnam's CCCD registry: its numbers are VNM document and id numbers. The lookup is
 * bound to the issuing state of the authenticated document (DG1, Doc 9303 Part 3 §5 / Part 5 §4.2.2;
 * passive authentication tied it to the DS and CSCA country): a document of any other state is never
 * looked up — its number, however equal to a Vietnamese one, names another state's document — and is
 * `card_unknown`.
 *
 * Where the records come from is behind one interface, {@link RegistrySource} (`store/registry.ts`):
 * the operator's DynamoDB copy today (`dynamoRegistry`); a live registry service is another
 * implementation of it, chosen in {@link registryFor} — docs/registry.md.
 */
import type { ReasonCode } from '@chipid/sdk';
import type { Bindings } from '../env.ts';
import type { StoreContext } from '../store/db.ts';
import type { Key } from '../store/keys.ts';
import { keys } from '../store/keys.ts';
import { dynamoRegistry, type ItemReader, type RegistrySource, registryKey } from '../store/registry.ts';
import type { ChipFacts } from './facts.ts';

export type BirthPrecision = 'day' | 'month' | 'year' | 'none';

export interface RegistryOutcome {
  reasons: ReasonCode[];
  /** Which fields disagreed (names of fields, never values). */
  mismatched: ('name' | 'birthdate' | 'sex' | 'id_number')[];
  birthdatePrecision: BirthPrecision;
  /** Card expiry as the registry knows it (ISO date). */
  expiresOn?: string;
  issuedOn?: string;
  /** Why the registry was not consulted, when it was not (no personal data). */
  note?: string;
}

/** Vietnamese text → MRZ-style A–Z (Doc 9303 Part 3 §6 transliteration: diacritics dropped, Đ → D). */
export function transliterate(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[^A-Z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** NFC, case-insensitive, whitespace-collapsed comparison form. */
export function nameKey(s: string): string {
  return s.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();
}

export function namesMatch(chip: ChipFacts, registryName: string): boolean {
  if (chip.fullName) return nameKey(chip.fullName) === nameKey(registryName);
  const reg = transliterate(registryName);
  if (chip.mrzName === reg) return true;
  return chip.mrzNameTruncated && reg.startsWith(chip.mrzName);
}

export function birthMatch(chip: ChipFacts, reg: string): { ok: boolean; precision: BirthPrecision } {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(reg);
  if (!m) return { ok: false, precision: 'none' };
  const precision: BirthPrecision = m[3] ? 'day' : m[2] ? 'month' : 'year';
  const b = chip.birthDate;
  if (!b) return { ok: false, precision };
  const ok =
    b.year === Number(m[1]) &&
    (m[2] === undefined || b.month === Number(m[2])) &&
    (m[3] === undefined || b.day === Number(m[3]));
  return { ok, precision };
}

/** The issuing state (ICAO 3-letter code, Doc 9303 Part 3) whose documents the registry holds. */
export const REGISTRY_ISSUING_STATE = 'VNM';

/** The DG1 issuing state without MRZ fillers (`D<<` → `D`). */
const stateOf = (chip: ChipFacts): string => chip.issuingState.replace(/</g, '');

/** A chip's registry keys (keyed hashes) and the items {@link checkRegistry} reads first. */
export interface RegistryKeys {
  /** The document's issuing state is not the registry's: nothing is looked up (`first` is empty). */
  foreign: boolean;
  card: string;
  /** Absent when the chip carries no id number (DG13). */
  id: string | undefined;
  /** The card, and the citizen when the id number is known: fetch them ahead in a batch of your own. */
  first: Key[];
}

/** {@link RegistryKeys} of `chip` under the registry's HMAC `secret`. */
export async function registryKeys(secret: string, chip: ChipFacts): Promise<RegistryKeys> {
  if (stateOf(chip) !== REGISTRY_ISSUING_STATE) return { foreign: true, card: '', id: undefined, first: [] };
  const card = await registryKey(secret, chip.documentNumber);
  const id = chip.idNumber ? await registryKey(secret, chip.idNumber) : undefined;
  return { foreign: false, card, id, first: id ? [keys.card(card), keys.citizen(id)] : [keys.card(card)] };
}

/**
 * The registry this deployment consults for an environment: the operator's DynamoDB copy, its first
 * items served from the caller's batch (`read`). A live registry service plugs in here (a file
 * implementing {@link RegistrySource}, selected by a binding), nothing else changes.
 */
export function registryFor(_env: Bindings, store: StoreContext, read?: ItemReader): RegistrySource {
  return dynamoRegistry(store, read);
}

/**
 * Runs the registry check for a chip that passed passive authentication, on the card and citizen
 * records `source` answers for the chip's keys (one round trip for the DynamoDB copy).
 *
 * @example
 * const r = await checkRegistry(dynamoRegistry(store), await registryKeys(secret, facts), facts, new Date());
 */
export async function checkRegistry(
  source: RegistrySource,
  k: RegistryKeys,
  chip: ChipFacts,
  at: Date,
): Promise<RegistryOutcome> {
  const reasons: ReasonCode[] = [];
  const mismatched: RegistryOutcome['mismatched'] = [];
  const out: RegistryOutcome = { reasons, mismatched, birthdatePrecision: 'none' };
  const today = at.toISOString().slice(0, 10);

  const cardKey = k.card;
  const idKey = k.id;
  if (chip.dateOfExpiry && chip.dateOfExpiry < today) reasons.push('card_expired');
  // Keys alone do not say which state a number belongs to: a foreign document is never looked up.
  if (k.foreign || stateOf(chip) !== REGISTRY_ISSUING_STATE) {
    reasons.push('card_unknown');
    out.note = `issuing state not served by this registry (${REGISTRY_ISSUING_STATE} only)`;
    return out;
  }
  const { card, citizen } = await source.lookup(k, chip);
  if (!card) {
    reasons.push('card_unknown');
    return out;
  }
  if (card.expiresOn) out.expiresOn = card.expiresOn;
  if (card.issuedOn) out.issuedOn = card.issuedOn;
  if (card.status === 'revoked') reasons.push('card_revoked');
  if (card.status === 'lost') reasons.push('card_lost');
  if (card.status === 'replaced') reasons.push('card_replaced');
  if (card.expiresOn && card.expiresOn < today && !reasons.includes('card_expired'))
    reasons.push('card_expired');

  if ((idKey ?? card.citizenKey) !== card.citizenKey) mismatched.push('id_number');
  if (!citizen) {
    reasons.push('citizen_unknown');
  } else {
    if (citizen.status === 'deceased') reasons.push('citizen_deceased');
    if (citizen.currentCardKey && citizen.currentCardKey !== cardKey && !reasons.includes('card_replaced')) {
      reasons.push('card_replaced');
    }
    if (!namesMatch(chip, citizen.fullName)) mismatched.push('name');
    const b = birthMatch(chip, citizen.birthDate);
    out.birthdatePrecision = b.precision;
    if (!b.ok) mismatched.push('birthdate');
    if ((citizen.sex === 'M' || citizen.sex === 'F') && chip.sex && chip.sex !== citizen.sex)
      mismatched.push('sex');
  }
  if (mismatched.length > 0) reasons.push('citizen_mismatch');
  return out;
}
