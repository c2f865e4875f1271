/**
 * Registry — citizens `CIT#<hmac(idNumber)>` / `CITIZEN` and cards `CARD#<hmac(documentNumber)>` /
 * `CARD`, keyed by HMAC-SHA256 with REGISTRY_HMAC_KEY (base64url) so the table never holds the raw
 * numbers as keys. Imports are idempotent upserts in BatchWriteItem chunks of 25 with UnprocessedItems
 * retried with backoff; status updates are single conditional updates.
 *
 * The registry is Vietnam's CCCD registry: every number in it is a VNM document's. Lookups are made
 * for documents whose authenticated issuing state is VNM only (`verify/registry-check.ts`).
 */
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { b64url, hmacSha256 } from '../lib/crypto.ts';
import {
  getItems,
  guarded,
  type Item,
  isConditionFailed,
  marshal,
  type StoreContext,
  storeError,
  unmarshal,
} from './db.ts';
import { type Key, keyAttrs, keys } from './keys.ts';

export type CitizenStatus = 'alive' | 'deceased';
export type CardStatus = 'active' | 'revoked' | 'lost' | 'replaced';

export interface CitizenRecord {
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: legacy records may know only part of the date. */
  birthDate: string;
  fullName: string;
  sex: 'M' | 'F' | 'X';
  status: CitizenStatus;
  /** Keyed hash of the citizen's current document number (absent when none is recorded). */
  currentCardKey?: string;
}

export interface CardRecord {
  /** Keyed hash of the holder's 12-digit id number. */
  citizenKey: string;
  status: CardStatus;
  issuedOn?: string;
  expiresOn?: string;
}

/** Keyed hash of a registry number (base64url HMAC-SHA256). */
export async function registryKey(secret: string, value: string): Promise<string> {
  return b64url(await hmacSha256(secret, value));
}

/** The citizen record in a stored item (read alone or in a batch); undefined when absent. */
export function citizenRecord(it: Item | undefined): CitizenRecord | undefined {
  if (!it) return undefined;
  const o = unmarshal(it) as unknown as CitizenRecord;
  const out: CitizenRecord = { birthDate: o.birthDate, fullName: o.fullName, sex: o.sex, status: o.status };
  if (typeof o.currentCardKey === 'string') out.currentCardKey = o.currentCardKey;
  return out;
}

/** The card record in a stored item (read alone or in a batch); undefined when absent. */
export function cardRecord(it: Item | undefined): CardRecord | undefined {
  if (!it) return undefined;
  const o = unmarshal(it) as unknown as CardRecord;
  const out: CardRecord = { citizenKey: o.citizenKey, status: o.status };
  if (typeof o.issuedOn === 'string') out.issuedOn = o.issuedOn;
  if (typeof o.expiresOn === 'string') out.expiresOn = o.expiresOn;
  return out;
}

/** What a registry is asked about one chip: the keyed hashes, and the chip's own numbers. */
export interface RegistryQuery {
  /** Keyed hash of the document number. */
  card: string;
  /** Keyed hash of the 12-digit id number; absent when the chip carries none (no DG13). */
  id: string | undefined;
}

/** What a registry answers: the card's record and its holder's (each absent when unknown). */
export interface RegistryAnswer {
  card?: CardRecord;
  /** The holder: found by the chip's id number, or by the card's `citizenKey` when the chip has none. */
  citizen?: CitizenRecord;
}

/**
 * THE registry boundary: where card and citizen standing come from. Implemented by the operator's
 * DynamoDB copy ({@link dynamoRegistry}); a live registry service (the national population database's
 * interface, reached by the operator) is another implementation in a file of its own, returned by
 * `registryFor` (verify/registry-check.ts). `chip` carries the plain numbers (document number, id
 * number, issuing state) such a service is asked with; they never leave the call.
 */
export interface RegistrySource {
  lookup(
    q: RegistryQuery,
    chip: { documentNumber: string; idNumber?: string | undefined; issuingState: string },
  ): Promise<RegistryAnswer>;
}

/** Reads items in one round trip (a batch), in order; `undefined` for a missing one. */
export type ItemReader = (ks: Key[]) => Promise<(Item | undefined)[]>;

/**
 * The registry as the operator's DynamoDB copy: the card and (by id number) the citizen in one batch
 * read — `read` lets the caller serve them from a batch of its own —, the citizen by the card's
 * `citizenKey` in a second read when the chip has no id number.
 *
 * @example
 * const { card, citizen } = await dynamoRegistry(store).lookup(q, chip);
 */
export function dynamoRegistry(s: StoreContext, read: ItemReader = (ks) => getItems(s, ks)): RegistrySource {
  return {
    async lookup(q) {
      const first = q.id ? [keys.card(q.card), keys.citizen(q.id)] : [keys.card(q.card)];
      const [cardItem, citizenItem] = await read(first);
      const card = cardRecord(cardItem);
      if (!card) return {};
      const citizen = citizenRecord(q.id ? citizenItem : (await read([keys.citizen(card.citizenKey)]))[0]);
      return citizen ? { card, citizen } : { card };
    },
  };
}

/** A prepared registry upsert. */
export type RegistryWrite =
  | { kind: 'citizen'; key: string; record: CitizenRecord }
  | { kind: 'card'; key: string; record: CardRecord };

function itemOf(w: RegistryWrite, now: string): Item {
  const k = w.kind === 'citizen' ? keys.citizen(w.key) : keys.card(w.key);
  return marshal({ ...k, kind: w.kind, ...w.record, updatedAt: now });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Upserts registry records: chunks of 25 (the BatchWriteItem limit), unprocessed items retried with
 * exponential backoff. Later writes of the same key win (duplicates are collapsed first, since one
 * batch may not name a key twice).
 *
 * @returns how many writes were applied (all, or the call throws a store error)
 */
export async function upsertRegistry(s: StoreContext, writes: RegistryWrite[]): Promise<number> {
  const now = new Date().toISOString();
  const byKey = new Map<string, WriteRequest>();
  for (const w of writes) byKey.set(`${w.kind}#${w.key}`, { PutRequest: { Item: itemOf(w, now) } });
  const all = [...byKey.values()];
  for (let i = 0; i < all.length; i += 25) {
    let pending: WriteRequest[] = all.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw storeError(new Error('registry import: unprocessed items after retries'));
        await sleep(Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
      const r: BatchWriteItemCommandOutput = await guarded(() =>
        s.db.send(new BatchWriteItemCommand({ RequestItems: { [s.table]: pending } })),
      );
      pending = r.UnprocessedItems?.[s.table] ?? [];
    }
  }
  return writes.length;
}

/** Sets the status of one card or citizen; false when the record does not exist. */
export async function setRegistryStatus(
  s: StoreContext,
  kind: 'citizen' | 'card',
  key: string,
  status: string,
): Promise<boolean> {
  const k = kind === 'citizen' ? keys.citizen(key) : keys.card(key);
  try {
    await guarded(() =>
      s.db.send(
        new UpdateItemCommand({
          TableName: s.table,
          Key: keyAttrs(k),
          UpdateExpression: 'SET #s = :s, updatedAt = :u',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: status }, ':u': { S: new Date().toISOString() } },
        }),
      ),
    );
    return true;
  } catch (e) {
    if (isConditionFailed(e)) return false;
    throw e;
  }
}
