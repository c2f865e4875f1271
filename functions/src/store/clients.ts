/**
 * Relying-party clients — `CLIENT#<clientId>` / `CLIENT`: status, registered scope and public JWKs
 * (each with `kid` and its own status), and the client's rate counter (`rate_<window>`: the requests counted
 * in the current one-minute window).
 *
 * Every authenticated request counts itself with one conditional `UpdateItem` on this item that
 * answers the whole item ({@link countClientRequest}): the rate count and the client as it is now, in
 * one round trip. The RP-auth middleware decides on that fresh record, so disabling a client or a key
 * takes effect on the next request even where an isolate has the client cached.
 *
 * A directory entry per client (`CLIENTS` / `CLIENT#<clientId>`, written in the same transaction as
 * the client) lets the operator list clients with one `Query` per page instead of a table scan.
 *
 * A client with a large quota is kept in `shards` copies (`CLIENT#<clientId>` and
 * `CLIENT#<clientId>#<k>`, k = 1 … shards − 1, all written in the one transaction that writes the
 * client): each request counts itself on a copy picked at random, against that copy's share of the
 * quota ({@link quotaShare}). One item takes at most 1,000 write units per second (DynamoDB's
 * per-partition limit), so one counter would cap a client near 1,000 requests per second; with
 * {@link rateShards} copies each sees at most {@link SHARD_REQUESTS_PER_SECOND} at the client's full
 * quota. Every copy is the whole client, so a change (a disabled client or key) is seen by the next
 * request whichever copy it counts on. Never more than the quota is served; a request may be refused
 * while other copies still have room (a random split of the traffic) — exactly as before for a client
 * with one copy (docs/capacity.md).
 */
import {
  GetItemCommand,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { JWK } from 'jose';
import {
  cancellationReasons,
  getItems,
  guarded,
  type Item,
  isConditionFailed,
  marshal,
  type Plain,
  type StoreContext,
  unmarshal,
} from './db.ts';
import { keyAttrs, keys } from './keys.ts';

export type Status = 'active' | 'disabled';

export interface ClientKey {
  kid: string;
  status: Status;
  /** The public JWK as registered (no private members). */
  jwk: JWK;
}

export interface ClientRecord {
  clientId: string;
  name: string;
  status: Status;
  scope: string[];
  keys: ClientKey[];
  createdAt: string;
  updatedAt: string;
  /** Requests per minute this client may send; absent: the service's default (`RATE_LIMIT_PER_MINUTE`). */
  rateLimitPerMinute?: number;
  /** Copies of the client item its requests are counted on ({@link rateShards}); absent: 1. */
  shards?: number;
}

/** Requests per second one copy of a client item takes at the client's full quota. */
export const SHARD_REQUESTS_PER_SECOND = 250;
/**
 * Most copies of one client: a transaction writes them all with the directory entry and an
 * idempotency record, or the copies kept and those dropped (≤ 100 items, DynamoDB's limit).
 */
export const MAX_SHARDS = 96;

/**
 * Copies of a client item for a quota (requests per minute): enough that each counts at most
 * {@link SHARD_REQUESTS_PER_SECOND} at the full quota — a quarter of DynamoDB's 1,000 write units
 * per second per partition, so a client item of up to 2 KB (2 units a count) stays under half of it.
 *
 * @example
 * rateShards(600); // 1
 * rateShards(215_400); // 15
 */
export function rateShards(quotaPerMinute: number): number {
  const n = Math.ceil(quotaPerMinute / 60 / SHARD_REQUESTS_PER_SECOND);
  return Math.max(1, Math.min(MAX_SHARDS, n));
}

/**
 * The part of `quota` that copy `shard` of `shards` serves: the shares add up to the quota exactly.
 *
 * @example
 * [0, 1, 2].map((k) => quotaShare(20, 3, k)); // [7, 7, 6]
 */
export function quotaShare(quota: number, shards: number, shard: number): number {
  return Math.floor(quota / shards) + (shard < quota % shards ? 1 : 0);
}

function toRecord(item: Item): ClientRecord {
  const o = unmarshal(item) as unknown as ClientRecord & { keysJson?: string };
  const rec: ClientRecord = {
    clientId: o.clientId,
    name: o.name,
    status: o.status === 'active' ? 'active' : 'disabled',
    scope: Array.isArray(o.scope) ? o.scope : [],
    keys: typeof o.keysJson === 'string' ? (JSON.parse(o.keysJson) as ClientKey[]) : [],
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
  if (typeof o.rateLimitPerMinute === 'number') rec.rateLimitPerMinute = o.rateLimitPerMinute;
  if (typeof o.shards === 'number' && Number.isInteger(o.shards) && o.shards > 1) rec.shards = o.shards;
  return rec;
}

/** Reads a client (strongly consistent); undefined when unknown. */
export async function getClient(s: StoreContext, clientId: string): Promise<ClientRecord | undefined> {
  const r = await guarded(() =>
    s.db.send(
      new GetItemCommand({ TableName: s.table, Key: keyAttrs(keys.client(clientId)), ConsistentRead: true }),
    ),
  );
  return r.Item ? toRecord(r.Item) : undefined;
}

/** The registered fields of a client item (not its key or rate counter). */
function recordAttrs(rec: ClientRecord): Item {
  return marshal({
    clientId: rec.clientId,
    name: rec.name,
    status: rec.status,
    scope: rec.scope,
    // JWKs kept as one JSON string: their members vary by key type.
    keysJson: JSON.stringify(rec.keys),
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    rateLimitPerMinute: rec.rateLimitPerMinute,
    shards: rec.shards ?? 1,
  } as Record<string, Plain>);
}

/**
 * Writes a client with its directory entry and its copies ({@link rateShards}), in one transaction.
 * `mode: 'create'` fails with a conditional-check error when the client exists already; `'replace'`
 * requires it to exist and rewrites the registered fields only, so the client's rate counters carry on
 * (and writes the directory entry again, which lists a client registered before the directory
 * existed), and deletes the copies from `rec.shards` up to `previousShards`. `also`: more writes of the
 * same transaction (an idempotency record).
 */
export async function putClient(
  s: StoreContext,
  rec: ClientRecord,
  mode: 'create' | 'replace',
  also: TransactWriteItem[] = [],
  previousShards = 1,
): Promise<void> {
  const attrs = recordAttrs(rec);
  const names = Object.keys(attrs);
  const shards = rec.shards ?? 1;
  const write = (shard: number): TransactWriteItem => {
    // The item itself decides whether the client exists, and — replaced — that its copies are still the
    // `previousShards` the caller read: a concurrent change of the copies fails here instead of
    // leaving a copy behind that no later write would update.
    const condition =
      shard !== 0
        ? {}
        : mode === 'create'
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression:
                'attribute_exists(pk) AND (#shards = :previous OR attribute_not_exists(#shards))',
            };
    return mode === 'create'
      ? {
          Put: {
            TableName: s.table,
            Item: { ...keyAttrs(keys.clientShard(rec.clientId, shard)), ...attrs },
            ...condition,
          },
        }
      : {
          Update: {
            TableName: s.table,
            Key: keyAttrs(keys.clientShard(rec.clientId, shard)),
            UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
            ...condition,
            ExpressionAttributeNames: {
              ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
              ...(shard === 0 ? { '#shards': 'shards' } : {}),
            },
            ExpressionAttributeValues: {
              ...Object.fromEntries(names.map((n, i) => [`:a${i}`, attrs[n]!])),
              ...(shard === 0 ? { ':previous': { N: String(previousShards) } } : {}),
            },
          },
        };
  };
  const copies = Array.from({ length: shards }, (_, k) => write(k));
  const dropped: TransactWriteItem[] = [];
  for (let k = Math.max(1, shards); k < previousShards; k++) {
    dropped.push({ Delete: { TableName: s.table, Key: keyAttrs(keys.clientShard(rec.clientId, k)) } });
  }
  const entry = {
    Put: {
      TableName: s.table,
      Item: keyAttrs(keys.clientEntry(rec.clientId)),
    },
  };
  try {
    await guarded(() =>
      s.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [copies[0]!, entry, ...also, ...copies.slice(1), ...dropped],
        }),
      ),
    );
  } catch (e) {
    // A condition failed (the client's, or one of `also`'s): the same error as a single conditional write.
    if (cancellationReasons(e)?.includes('ConditionalCheckFailed')) {
      throw Object.assign(new Error('client condition failed'), { name: 'ConditionalCheckFailedException' });
    }
    throw e;
  }
}

/** Largest page of {@link listClients}. */
export const MAX_CLIENT_PAGE = 100;

/**
 * One page of clients in client-id order, read back in full (strongly consistent); `after` is the last
 * client id of the previous page. `next` is this page's last id when more may follow.
 */
export async function listClients(
  s: StoreContext,
  limit: number,
  after?: string,
): Promise<{ records: ClientRecord[]; next?: string }> {
  const page = Math.max(1, Math.min(MAX_CLIENT_PAGE, Math.floor(limit)));
  const dir = keys.clientEntry('');
  const r = await guarded(() =>
    s.db.send(
      new QueryCommand({
        TableName: s.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :client)',
        ExpressionAttributeValues: { ':pk': { S: dir.pk }, ':client': { S: dir.sk } },
        ConsistentRead: true,
        Limit: page,
        ...(after !== undefined ? { ExclusiveStartKey: keyAttrs(keys.clientEntry(after)) } : {}),
      }),
    ),
  );
  // The directory's sort key is `CLIENT#<clientId>`: the id is all an entry holds.
  const ids = (r.Items ?? []).map((it) => (it.sk?.S ?? '').slice(dir.sk.length)).filter((id) => id !== '');
  const items = await getItems(
    s,
    ids.map((id) => keys.client(id)),
  );
  const records = items.filter((it): it is Item => it !== undefined).map(toRecord);
  const last = ids[ids.length - 1];
  return r.LastEvaluatedKey && last !== undefined ? { records, next: last } : { records };
}

/** A client as it is now and the number of this request in the client's current rate window. */
export interface CountedClient {
  record: ClientRecord;
  /** Requests counted in `window` on copy `shard`, this one included. */
  count: number;
  /** The copy of the client item the request was counted on (0: the item itself). */
  shard: number;
}

/** The attribute that counts a client's requests in rate window `window` (a minute number). */
const rateAttr = (window: number): string => `rate_${window}`;

/**
 * Counts one request in the client's rate window `window` (a minute number) and answers the client
 * item as it is after the count (`ReturnValues: ALL_NEW`): one round trip for the rate limit and a fresh
 * read of the client. Undefined when there is no such client (nothing is written then).
 *
 * The count lives in an attribute named by its window (`rate_<window>`), created by the first request
 * of the window, and each request removes the previous window's: the same expression for every
 * request, window edges included (no condition on the window). A count older than that (the client
 * was idle for a window or more) is removed by a second update the first time it is seen; that
 * clean-up never fails the request (what it misses is seen, and removed, on the next one).
 */
export async function countClientRequest(
  s: StoreContext,
  clientId: string,
  window: number,
  shard = 0,
): Promise<CountedClient | undefined> {
  const Key = keyAttrs(keys.clientShard(clientId, shard));
  let item: Item;
  try {
    const r = await guarded(() =>
      s.db.send(
        new UpdateItemCommand({
          TableName: s.table,
          Key,
          UpdateExpression: 'SET #now = if_not_exists(#now, :zero) + :one REMOVE #before',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#now': rateAttr(window), '#before': rateAttr(window - 1) },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    item = r.Attributes ?? {};
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
    // A copy that is gone (the client now has fewer): the item itself says whether the client exists.
    return shard === 0 ? undefined : countClientRequest(s, clientId, window, 0);
  }
  const now = rateAttr(window);
  const stale = Object.keys(item).filter((a) => a.startsWith('rate_') && a !== now);
  if (stale.length > 0) {
    await guarded(() =>
      s.db.send(
        new UpdateItemCommand({
          TableName: s.table,
          Key,
          UpdateExpression: `REMOVE ${stale.map((_, i) => `#s${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(stale.map((a, i) => [`#s${i}`, a])),
        }),
      ),
    ).catch(() => {});
  }
  return { record: toRecord(item), count: Number(item[now]?.N ?? '1'), shard };
}
