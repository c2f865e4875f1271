/**
 * DynamoDB access — the SDK's command objects (`@aws-sdk/client-dynamodb`) sent by the lean
 * {@link DynamoHttpClient} (or, with `DYNAMODB_CLIENT=aws-sdk`, by the SDK's own client), with explicit
 * region, endpoint and credentials from the bindings (nothing reads files or the instance metadata
 * service), standard retries (exponential backoff with jitter on throttling and transient faults), and
 * one mapping from store failures to problems: any outage ⇒ 503 `ERR_STORE_UNAVAILABLE` with
 * `Retry-After`.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type Bindings, type Environment, intBinding, tableName } from '../env.ts';
import { ApiError } from '../problems.ts';
import { DynamoHttpClient } from './dynamo-http.ts';
import { type Key, keyAttrs } from './keys.ts';

/** Seconds a client should wait after a store outage. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** What the store modules need of a DynamoDB client: `send(command)` of the SDK's commands. */
export type DynamoSender = Pick<DynamoDBClient, 'send'>;

const clients = new Map<string, DynamoSender>();

/** One DynamoDB client per isolate and configuration. */
export function dynamo(env: Bindings): DynamoSender {
  const region = env.DYNAMODB_REGION ?? 'ap-southeast-1';
  const endpoint = env.DYNAMODB_ENDPOINT;
  const maxAttempts = intBinding(env.DYNAMODB_MAX_ATTEMPTS, 3);
  const requestTimeout = intBinding(env.DYNAMODB_TIMEOUT_MS, 3000);
  const kind = env.DYNAMODB_CLIENT === 'aws-sdk' ? 'aws-sdk' : 'http';
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? 'local';
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? 'local';
  const cacheKey = [kind, region, endpoint ?? '', accessKeyId, maxAttempts, requestTimeout].join('|');
  let client = clients.get(cacheKey);
  if (!client) {
    client =
      kind === 'http'
        ? new DynamoHttpClient({
            region,
            ...(endpoint ? { endpoint } : {}),
            accessKeyId,
            secretAccessKey,
            maxAttempts,
            requestTimeoutMs: requestTimeout,
          })
        : new DynamoDBClient({
            region,
            ...(endpoint ? { endpoint } : {}),
            credentials: { accessKeyId, secretAccessKey },
            maxAttempts,
            retryMode: 'standard',
            requestHandler: { requestTimeout },
          });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Everything a store module needs: the client and the environment's table. */
export interface StoreContext {
  db: DynamoSender;
  table: string;
  env: Environment;
}

/** The store of one environment (the table is chosen from the environment, never from input). */
export function storeFor(env: Bindings, which: Environment): StoreContext {
  return { db: dynamo(env), table: tableName(env, which), env: which };
}

/** `ConditionalCheckFailedException` — an expected outcome, not an outage. */
export function isConditionFailed(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * `TransactionCanceledException` reasons, one per item in request order (`'ConditionalCheckFailed'`,
 * `'None'`, …), or undefined when `e` is something else.
 */
export function cancellationReasons(e: unknown): string[] | undefined {
  const err = e as { name?: string; CancellationReasons?: { Code?: string }[] } | null;
  if (err?.name !== 'TransactionCanceledException') return undefined;
  return (err.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

const CLIENT_BUGS = new Set(['ValidationException', 'SerializationException']);

/**
 * Maps a store failure to a problem. Our own malformed calls are internal errors; everything else
 * (network, throttling after retries, missing table, service errors) is an outage: 503 + Retry-After.
 */
export function storeError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const name = (e as { name?: string } | null)?.name ?? '';
  if (CLIENT_BUGS.has(name)) return new ApiError('ERR_INTERNAL', 'store request rejected', { cause: e });
  return new ApiError('ERR_STORE_UNAVAILABLE', 'the registry store is unavailable; retry later', {
    headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) },
    cause: e,
  });
}

/** Runs a store call, mapping failures (conditional-check failures are rethrown untouched). */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isConditionFailed(e) || cancellationReasons(e)) throw e;
    throw storeError(e);
  }
}

/** Writes items atomically (all or nothing). Throws the raw cancellation on a failed condition. */
export async function transact(s: StoreContext, items: TransactWriteItem[]): Promise<void> {
  await guarded(() => s.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
}

/** Rounds of `UnprocessedKeys` a {@link getItems} call retries before giving up (503). */
const BATCH_GET_ROUNDS = 6;

/** One string per item key (`pk`, `sk`), for maps of items by key. */
export const keyId = (pk: string | undefined, sk: string | undefined): string => `${pk}\u0000${sk}`;

/**
 * Reads several items in one `BatchGetItem` (strongly consistent), in the order of `ks`; a missing
 * item is `undefined`. One request instead of one per item: what a verification reads together
 * costs one round trip. Keys may repeat; at most 100 distinct keys.
 */
export async function getItems(s: StoreContext, ks: readonly Key[]): Promise<(Item | undefined)[]> {
  const distinct = new Map(ks.map((k) => [keyId(k.pk, k.sk), k]));
  const found = new Map<string, Item>();
  let pending = [...distinct.values()].map(keyAttrs) as Item[];
  for (let round = 0; pending.length > 0; round++) {
    if (round === BATCH_GET_ROUNDS) {
      throw storeError(new Error('BatchGetItem: keys left unprocessed after retries'));
    }
    if (round > 0) await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** round));
    const keysNow = pending;
    const r = await guarded(() =>
      s.db.send(
        new BatchGetItemCommand({ RequestItems: { [s.table]: { Keys: keysNow, ConsistentRead: true } } }),
      ),
    );
    for (const it of r.Responses?.[s.table] ?? []) found.set(keyId(it.pk?.S, it.sk?.S), it);
    pending = (r.UnprocessedKeys?.[s.table]?.Keys ?? []) as Item[];
  }
  return ks.map((k) => found.get(keyId(k.pk, k.sk)));
}

// ——— tiny attribute-value marshalling (the subset the service stores) ———

export type Item = Record<string, AttributeValue>;
export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/** JS value → AttributeValue (strings, finite numbers, booleans, null, arrays, plain objects). */
export function toAttr(v: Plain | undefined): AttributeValue {
  if (v === null || v === undefined) return { NULL: true };
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'number') return { N: String(v) };
  if (typeof v === 'boolean') return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(toAttr) };
  const m: Record<string, AttributeValue> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) m[k] = toAttr(x);
  return { M: m };
}

/** AttributeValue → JS value. */
export function fromAttr(a: AttributeValue | undefined): Plain | undefined {
  if (!a) return undefined;
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return Number(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.NULL) return null;
  if (a.L) return a.L.map((x) => fromAttr(x) ?? null);
  if (a.M) return unmarshal(a.M);
  return undefined;
}

/** Plain object → item. */
export function marshal(o: Record<string, Plain | undefined>): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = toAttr(v);
  return out;
}

/** Item → plain object. */
export function unmarshal(item: Item): { [k: string]: Plain } {
  const out: { [k: string]: Plain } = {};
  for (const [k, v] of Object.entries(item)) {
    const x = fromAttr(v);
    if (x !== undefined) out[k] = x;
  }
  return out;
}

/** Epoch seconds now. */
export function nowSeconds(now = Date.now()): number {
  return Math.floor(now / 1000);
}
