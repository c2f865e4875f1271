/**
 * DynamoDB access — `@aws-sdk/client-dynamodb` with explicit region, endpoint and credentials from the
 * bindings (nothing reads files or the instance metadata service), the SDK's standard retry mode
 * (exponential backoff with jitter on throttling and transient faults), and one mapping from store
 * failures to problems: any outage ⇒ 503 `ERR_STORE_UNAVAILABLE` with `Retry-After`.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type Bindings, type Environment, intBinding, tableName } from '../env.ts';
import { ApiError } from '../problems.ts';

/** Seconds a client should wait after a store outage. */
export const STORE_RETRY_AFTER_SECONDS = 5;

const clients = new Map<string, DynamoDBClient>();

/** One DynamoDB client per isolate and configuration. */
export function dynamo(env: Bindings): DynamoDBClient {
  const region = env.DYNAMODB_REGION ?? 'ap-southeast-1';
  const endpoint = env.DYNAMODB_ENDPOINT;
  const maxAttempts = intBinding(env.DYNAMODB_MAX_ATTEMPTS, 3);
  const requestTimeout = intBinding(env.DYNAMODB_TIMEOUT_MS, 3000);
  const cacheKey = [region, endpoint ?? '', env.AWS_ACCESS_KEY_ID ?? '', maxAttempts, requestTimeout].join(
    '|',
  );
  let client = clients.get(cacheKey);
  if (!client) {
    client = new DynamoDBClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'local',
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'local',
      },
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
  db: DynamoDBClient;
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
