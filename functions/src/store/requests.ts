/**
 * Per-request records — replay guard `JTI#<clientId>#<jti>` (RFC 7519 §4.1.7, RFC 8725 §3.10: first use
 * wins via `attribute_not_exists`; DynamoDB TTL deletes lazily, so the token's own `exp` is what the
 * code enforces), one-time challenges `CHAL#<id>` (Doc 9303 Part 11 §6.1 Active Authentication nonce,
 * bound to a client, single use, expiry enforced in code), idempotency records `IDEM#<clientId>#<key>`
 * and fixed-window rate counters `RATE#<clientId>#<window>` (the console's quota; an RP client's count
 * lives on its own item, `clients.ts#countClientRequest`).
 */
import {
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { guarded, type Item, isConditionFailed, nowSeconds, type StoreContext } from './db.ts';
import { keyAttrs, keys } from './keys.ts';

/** Slack added to TTLs so a record outlives the window it guards. */
const TTL_SLACK_SECONDS = 120;

/** TransactWriteItem consuming a `jti` (fails the transaction when it was seen before). */
export function jtiPut(s: StoreContext, clientId: string, jti: string, exp: number): TransactWriteItem {
  return {
    Put: {
      TableName: s.table,
      Item: {
        ...keyAttrs(keys.jti(clientId, jti)),
        exp: { N: String(exp) },
        ttl: { N: String(exp + TTL_SLACK_SECONDS) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Consumes a `jti` on its own; false when it was used before. */
export async function consumeJti(
  s: StoreContext,
  clientId: string,
  jti: string,
  exp: number,
): Promise<boolean> {
  const put = jtiPut(s, clientId, jti, exp).Put!;
  try {
    await guarded(() =>
      s.db.send(
        new PutItemCommand({
          TableName: put.TableName,
          Item: put.Item,
          ConditionExpression: put.ConditionExpression,
        }),
      ),
    );
    return true;
  } catch (e) {
    if (isConditionFailed(e)) return false;
    throw e;
  }
}

// ——— challenges ———

export interface ChallengeRecord {
  id: string;
  clientId: string;
  /** The 8 challenge bytes, standard base64. */
  challenge: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  used: boolean;
}

export function challengePut(s: StoreContext, c: ChallengeRecord): TransactWriteItem {
  return {
    Put: {
      TableName: s.table,
      Item: {
        ...keyAttrs(keys.challenge(c.id)),
        clientId: { S: c.clientId },
        challenge: { S: c.challenge },
        expiresAt: { N: String(c.expiresAt) },
        used: { BOOL: false },
        ttl: { N: String(Math.ceil(c.expiresAt / 1000) + TTL_SLACK_SECONDS) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The challenge record in a stored item (read alone or in a batch); undefined when absent. */
export function challengeRecord(id: string, it: Item | undefined): ChallengeRecord | undefined {
  if (!it?.clientId?.S || !it.challenge?.S || !it.expiresAt?.N) return undefined;
  return {
    id,
    clientId: it.clientId.S,
    challenge: it.challenge.S,
    expiresAt: Number(it.expiresAt.N),
    used: it.used?.BOOL === true,
  };
}

/** TransactWriteItem consuming a challenge: only once, only by its client, only before expiry. */
export function challengeConsume(
  s: StoreContext,
  id: string,
  clientId: string,
  now: number,
): TransactWriteItem {
  return {
    Update: {
      TableName: s.table,
      Key: keyAttrs(keys.challenge(id)),
      UpdateExpression: 'SET used = :t',
      ConditionExpression: 'attribute_exists(pk) AND used = :f AND clientId = :c AND expiresAt > :now',
      ExpressionAttributeValues: {
        ':t': { BOOL: true },
        ':f': { BOOL: false },
        ':c': { S: clientId },
        ':now': { N: String(now) },
      },
    },
  };
}

// ——— idempotency ———

/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface IdempotencyRecord {
  /** SHA-256 (hex) over method, path and body. */
  fingerprint: string;
  status: number;
  /**
   * The answer sealed under the record's own key (`middleware/idempotency.ts`: AES-256-GCM, standard
   * base64 of IV ‖ ciphertext ‖ tag) — never the answer in clear: it may hold personal data.
   */
  sealed: string;
  contentType: string;
}

export async function getIdempotency(
  s: StoreContext,
  clientId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const r = await guarded(() =>
    s.db.send(
      new GetItemCommand({
        TableName: s.table,
        Key: keyAttrs(keys.idem(clientId, key)),
        ConsistentRead: true,
      }),
    ),
  );
  const it = r.Item;
  if (!it?.fingerprint?.S || !it.status?.N || it.sealed?.S === undefined) return undefined;
  // TTL deletes lazily: an expired record is as good as absent.
  if (Number(it.ttl?.N ?? '0') < nowSeconds()) return undefined;
  return {
    fingerprint: it.fingerprint.S,
    status: Number(it.status.N),
    sealed: it.sealed.S,
    contentType: it.contentType?.S ?? 'application/json',
  };
}

/**
 * The put remembering an answer under an idempotency key, until `expiresAt` (epoch seconds; default
 * {@link IDEMPOTENCY_TTL_SECONDS} from now).
 */
export function idempotencyPut(
  s: StoreContext,
  clientId: string,
  key: string,
  rec: IdempotencyRecord,
  expiresAt = nowSeconds() + IDEMPOTENCY_TTL_SECONDS,
): TransactWriteItem {
  return {
    Put: {
      TableName: s.table,
      Item: {
        ...keyAttrs(keys.idem(clientId, key)),
        fingerprint: { S: rec.fingerprint },
        status: { N: String(rec.status) },
        sealed: { S: rec.sealed },
        contentType: { S: rec.contentType },
        ttl: { N: String(expiresAt) },
      },
      // An expired leftover may be overwritten; a live record may not.
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: String(nowSeconds()) } },
    },
  };
}

// ——— rate limits ———

/**
 * Counts one request in the client's current fixed window (atomic `ADD`), returning the count
 * including this request.
 */
export async function countRequest(
  s: StoreContext,
  clientId: string,
  window: number,
  windowSeconds: number,
): Promise<number> {
  const r = await guarded(() =>
    s.db.send(
      new UpdateItemCommand({
        TableName: s.table,
        Key: keyAttrs(keys.rate(clientId, window)),
        UpdateExpression: 'ADD n :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':ttl': { N: String((window + 1) * windowSeconds + TTL_SLACK_SECONDS) },
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    ),
  );
  return Number(r.Attributes?.n?.N ?? '1');
}
