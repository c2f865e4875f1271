/**
 * Trust store of one environment — CSCA certificates and CRLs (Doc 9303 Part 12) as items under
 * `TRUST`: `CSCA#<sha256 hex of DER>`, `CRL#<sha256 hex>`, plus `META` holding a random version tag
 * that every change rewrites in the same transaction. Isolates cache the decoded anchors and reload when the
 * version moves. The version is checked at most once per `maxAgeMs` per isolate ({@link trustCheckDue}):
 * `TRUST`/`META` is one item for the whole environment, and read on every verification it alone would
 * cap the service near 3,000 verifications per second (DynamoDB's per-partition read limit;
 * docs/capacity.md). So an admin change is effective at once in the isolate that made it and within
 * `maxAgeMs` everywhere else (`TRUST_RECHECK_SECONDS`, default 5 s).
 */
import { type AttributeValue, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { b64, fromB64, hex, randomId, sha256 } from '../lib/crypto.ts';
import {
  cancellationReasons,
  guarded,
  type Item,
  isConditionFailed,
  type StoreContext,
  storeError,
  transact,
} from './db.ts';
import { keyAttrs, keys } from './keys.ts';

export interface TrustAnchors {
  /** Random tag written with every change (a counter could repeat after a table is recreated). */
  version: string;
  cscas: Uint8Array[];
  crls: Uint8Array[];
}

const cache = new Map<string, TrustAnchors>();
/** When this isolate last learnt each table's trust version (epoch ms when that read was sent). */
const checkedAt = new Map<string, number>();

/** Default bound on how stale an isolate's trust store may be, in seconds (`TRUST_RECHECK_SECONDS`). */
export const DEFAULT_TRUST_RECHECK_SECONDS = 5;

/** Forgets this isolate's cached anchors of a table (called after admin changes). */
export function invalidateTrust(table: string): void {
  cache.delete(table);
  checkedAt.delete(table);
}

/**
 * Whether this isolate must read the table's trust version (`TRUST`/`META`) before using its cached
 * anchors: none cached yet, or the last check was `maxAgeMs` or more ago.
 */
export function trustCheckDue(table: string, maxAgeMs: number, now = Date.now()): boolean {
  const at = checkedAt.get(table);
  return !cache.has(table) || at === undefined || now - at >= maxAgeMs;
}

async function metaItem(s: StoreContext): Promise<Item | undefined> {
  const r = await guarded(() =>
    s.db.send(
      new GetItemCommand({ TableName: s.table, Key: keyAttrs(keys.trustMeta()), ConsistentRead: true }),
    ),
  );
  return r.Item;
}

/**
 * Current CSCAs and CRLs (DER) of the environment. `meta` is the `TRUST`/`META` item when the caller
 * already read it (in a batch with other items, sent at `at`); otherwise it is read here — unless
 * `maxAgeMs` is given and the cached anchors were checked less than that long ago (see
 * {@link trustCheckDue}), when they are used as they are.
 */
export async function loadTrust(
  s: StoreContext,
  meta?: { item: Item | undefined; at?: number },
  maxAgeMs = 0,
): Promise<TrustAnchors> {
  const fresh = cache.get(s.table);
  if (!meta && fresh && !trustCheckDue(s.table, maxAgeMs)) return fresh;
  const at = meta?.at ?? Date.now();
  const v = (meta ? meta.item : await metaItem(s))?.version?.S ?? 'none';
  const hit = cache.get(s.table);
  if (hit && hit.version === v) {
    checkedAt.set(s.table, Math.max(at, checkedAt.get(s.table) ?? 0));
    return hit;
  }
  const cscas: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  for (const e of await trustEntries(s)) (e.kind === 'csca' ? cscas : crls).push(e.der);
  const anchors = { version: v, cscas, crls };
  cache.set(s.table, anchors);
  checkedAt.set(s.table, at);
  return anchors;
}

/** One stored trust anchor. */
export interface TrustEntry {
  kind: 'csca' | 'crl';
  /** SHA-256 of the DER, hex (the id the admin API names it by). */
  id: string;
  der: Uint8Array;
  addedAt: string | undefined;
}

/** Every CSCA and CRL stored in the table (strongly consistent), in id order per kind. */
export async function trustEntries(s: StoreContext): Promise<TrustEntry[]> {
  const out: TrustEntry[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const r = await guarded(() =>
      s.db.send(
        new QueryCommand({
          TableName: s.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'TRUST' } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    for (const it of r.Items ?? []) {
      const sk = it.sk?.S ?? '';
      const kind = sk.startsWith('CSCA#') ? 'csca' : sk.startsWith('CRL#') ? 'crl' : undefined;
      const der = it.der?.S ? fromB64(it.der.S) : undefined;
      if (!kind || !der) continue;
      out.push({ kind, id: sk.slice(sk.indexOf('#') + 1), der, addedAt: it.addedAt?.S });
    }
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

const bump = (s: StoreContext) => ({
  Update: {
    TableName: s.table,
    Key: keyAttrs(keys.trustMeta()),
    UpdateExpression: 'SET version = :v',
    ExpressionAttributeValues: { ':v': { S: randomId('tv_') } },
  },
});

/** Adds (idempotently) a CSCA or CRL; returns its id (sha256 hex of the DER). */
export async function addTrust(s: StoreContext, kind: 'csca' | 'crl', der: Uint8Array): Promise<string> {
  const id = hex(await sha256(der));
  const k = kind === 'csca' ? keys.csca(id) : keys.crl(id);
  await transact(s, [
    {
      Put: {
        TableName: s.table,
        Item: {
          ...keyAttrs(k),
          der: { S: b64(der) },
          kind: { S: kind },
          addedAt: { S: new Date().toISOString() },
        },
      },
    },
    bump(s),
  ]).catch((e: unknown) => {
    // No conditions here: a cancellation is a conflicting concurrent write, retryable like an outage.
    throw storeError(e);
  });
  invalidateTrust(s.table);
  return id;
}

/** Removes a CSCA or CRL; false when it was not there. */
export async function removeTrust(s: StoreContext, kind: 'csca' | 'crl', id: string): Promise<boolean> {
  const k = kind === 'csca' ? keys.csca(id) : keys.crl(id);
  try {
    await transact(s, [
      { Delete: { TableName: s.table, Key: keyAttrs(k), ConditionExpression: 'attribute_exists(pk)' } },
      bump(s),
    ]);
  } catch (e) {
    if (cancellationReasons(e) || isConditionFailed(e)) return false;
    throw e;
  } finally {
    invalidateTrust(s.table);
  }
  return true;
}

/** One CSCA to store, with its id (sha256 hex of the DER) and ISO alpha-2 country. */
export interface CscaWrite {
  id: string;
  der: Uint8Array;
  country: string | undefined;
}

/** Most writes in one TransactWriteItems (DynamoDB allows 100; one slot stays for the version tag). */
const TRUST_BATCH = 99;

/**
 * Writes many CSCAs and removes others (a master-list import, Doc 9303 Part 12 §9): one item per
 * certificate (a list of 588 CSCAs is ~1 MB, beyond DynamoDB's 400 KB item limit), in transactions of
 * at most 100 items, additions before removals, and the `META` version tag rewritten in the last one
 * — so isolates reload the anchors once, after everything landed. Not atomic beyond 100 items: a
 * failure midway leaves some verified CSCAs added (never one removed before all additions landed);
 * the import is idempotent and may simply be repeated.
 */
export async function writeCscas(
  s: StoreContext,
  put: readonly CscaWrite[],
  remove: readonly string[],
  source: string,
): Promise<void> {
  const now = new Date().toISOString();
  const items = [
    ...put.map((c) => ({
      Put: {
        TableName: s.table,
        Item: {
          ...keyAttrs(keys.csca(c.id)),
          der: { S: b64(c.der) },
          kind: { S: 'csca' },
          addedAt: { S: now },
          source: { S: source },
          ...(c.country ? { country: { S: c.country } } : {}),
        },
      },
    })),
    ...remove.map((id) => ({ Delete: { TableName: s.table, Key: keyAttrs(keys.csca(id)) } })),
  ];
  try {
    for (let i = 0; i < items.length || i === 0; i += TRUST_BATCH) {
      const chunk = items.slice(i, i + TRUST_BATCH);
      await transact(s, i + TRUST_BATCH >= items.length ? [...chunk, bump(s)] : chunk).catch((e: unknown) => {
        throw storeError(e);
      });
    }
  } finally {
    invalidateTrust(s.table);
  }
}
