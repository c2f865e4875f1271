/**
 * Verification outcomes `VER#<id>` / `VER` and the per-client audit chains `AUDIT#<clientId>#<lane>`
 * (`HEAD#<lane>` + `SEQ#<lane>#<n>`, one partition per lane). Each audit entry carries `prev` (the previous entry's hash) and `hash` =
 * SHA-256(prev ‖ canonical JSON of the entry without `hash`), so editing or deleting an entry breaks
 * every later hash. Entries hold digests and outcomes only — never images or personal data.
 *
 * One TransactWriteItems writes the outcome, the audit entry, the new head and whatever the request
 * consumes (jti, challenge, idempotency record): all or nothing. A commit whose answer is lost is
 * settled before the request is answered: confirmed when it landed, fenced off with a tombstone
 * (`VER#<id>` with `aborted`) when it had not, so it cannot land later.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { canonicalJson, hex, sha256 } from '../lib/crypto.ts';
import {
  cancellationReasons,
  guarded,
  type Item,
  isConditionFailed,
  marshal,
  type Plain,
  type StoreContext,
  transact,
  unmarshal,
} from './db.ts';
import { AUDIT_LANES, auditLanePk, type Key, keyAttrs, keys } from './keys.ts';

export interface CheckOutcome {
  name: string;
  ok: boolean;
  reasons?: string[];
  detail?: string;
}

export interface VerificationRecord {
  id: string;
  clientId: string;
  result: 'verified' | 'rejected' | 'inconclusive';
  reasons: string[];
  checks: CheckOutcome[];
  createdAt: string;
}

/** What the audit log keeps about one verification (digests and outcome only). */
export interface AuditFacts {
  verificationId: string;
  time: string;
  result: string;
  reasons: string[];
  /** The request's `chip_digest`: base64url SHA-256 of the canonical chip dump (JSON body) … */
  chipDigest: string;
  /** … or, when `parts`, of the parts manifest (multipart body, `chipPartsDigest`). */
  chipDigestOf?: 'parts';
  /** hex SHA-256 of the request JWS. */
  requestDigest: string;
  /** hex SHA-256 of the signed assertion. */
  assertionDigest: string;
}

export interface AuditEntry extends AuditFacts {
  clientId: string;
  /** The chain (0 … lanes − 1, AUDIT_LANES by default) this entry extends; `seq` counts within it. */
  lane: number;
  seq: number;
  prev: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an entry: SHA-256(prev ‖ canonical(entry minus hash)), hex. */
export async function auditHash(e: Omit<AuditEntry, 'hash'>): Promise<string> {
  return hex(await sha256(e.prev + canonicalJson(e)));
}

/** FNV-1a of the id, reduced to a lane. */
function laneOf(id: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * Key of the audit head a verification's commit tries first, so a caller can read it ahead together
 * with other items and pass it to {@link commitVerification}.
 */
export function firstAuditHead(clientId: string, verificationId: string, lanes = AUDIT_LANES): Key {
  return keys.auditHead(clientId, laneOf(verificationId, lanes));
}

/**
 * Where one verification's record and audit entry are written: an RP's are `VER#<id>` and its own
 * lanes `AUDIT#<clientId>#<lane>`, kept (no TTL); the console has a ledger of its own (`console/service.ts`).
 */
export interface Ledger {
  verification: (id: string) => Key;
  /** The `pk` of one audit lane's items (for {@link readAudit}). */
  auditPartition: (lane: number) => string;
  auditHead: (lane: number) => Key;
  auditSeq: (lane: number, seq: number) => Key;
  /** Epoch seconds at which every item written expires (DynamoDB TTL); undefined: kept. */
  ttl?: number;
}

/** An RP client's ledger: `VER#<id>`, one partition per audit lane `AUDIT#<clientId>#<lane>`, no TTL. */
export function rpLedger(clientId: string): Ledger {
  return {
    verification: (id) => keys.verification(id),
    auditPartition: (lane) => auditLanePk(clientId, lane),
    auditHead: (lane) => keys.auditHead(clientId, lane),
    auditSeq: (lane, seq) => keys.auditSeq(clientId, lane, seq),
  };
}

/**
 * Result of a commit: done (with the audit entry written — `undefined` when the write was confirmed
 * afterwards because its answer was lost, see {@link commitVerification}), or which consumed item was
 * already taken.
 */
export type CommitResult = { ok: true; audit: AuditEntry | undefined } | { ok: false; conflicts: number[] };

/**
 * Each commit extends one of the client's AUDIT_LANES chains, picked at random; a commit that lost the
 * race for a lane's head tries another lane, with jittered backoff, for up to this long. Past it: 503,
 * nothing written.
 */
const HEAD_RETRY_BUDGET_MS = 5_000;
const MAX_BACKOFF_MS = 40;

/**
 * Writes a verification with its audit entry atomically, together with `extra` items (indexes in
 * `conflicts` refer to `extra`). Retries when another verification of the same client moved the head.
 */
export async function commitVerification(
  s: StoreContext,
  ver: VerificationRecord,
  facts: AuditFacts,
  extra: TransactWriteItem[],
  /** The item at {@link firstAuditHead} when the caller read it ahead (used by the first attempt only). */
  readAhead?: { head: Item | undefined },
  /** The service's lane count (`AUDIT_LANES` binding): as {@link firstAuditHead} was given it. */
  lanes = AUDIT_LANES,
  ledger: Ledger = rpLedger(ver.clientId),
): Promise<CommitResult> {
  const ttl = ledger.ttl === undefined ? {} : { ttl: ledger.ttl };
  const started = Date.now();
  // First lane from the verification id (spreads commits evenly, same choice on every store),
  // another random one after each lost race.
  let lane = laneOf(ver.id, lanes);
  for (let attempt = 0; ; attempt++, lane = (lane + 1 + Math.floor(Math.random() * (lanes - 1))) % lanes) {
    const head =
      attempt === 0 && readAhead
        ? { Item: readAhead.head }
        : await guarded(() =>
            s.db.send(
              new GetItemCommand({
                TableName: s.table,
                Key: keyAttrs(ledger.auditHead(lane)),
                ConsistentRead: true,
              }),
            ),
          );
    const prevSeq = Number(head.Item?.seq?.N ?? '0');
    const prev = head.Item?.hash?.S ?? GENESIS_HASH;
    const body: Omit<AuditEntry, 'hash'> = { ...facts, clientId: ver.clientId, lane, seq: prevSeq + 1, prev };
    const entry: AuditEntry = { ...body, hash: await auditHash(body) };
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: s.table,
          Item: marshal({
            ...ledger.verification(ver.id),
            ...(ver as unknown as Record<string, Plain>),
            ...ttl,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: s.table,
          Item: marshal({
            ...ledger.auditSeq(lane, entry.seq),
            ...(entry as unknown as Record<string, Plain>),
            ...ttl,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: s.table,
          Item: marshal({ ...ledger.auditHead(lane), seq: entry.seq, hash: entry.hash, ...ttl }),
          ...(head.Item
            ? {
                ConditionExpression: 'seq = :prev',
                ExpressionAttributeValues: { ':prev': { N: String(prevSeq) } },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      ...extra,
    ];
    try {
      await transact(s, items);
      return { ok: true, audit: entry };
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons) {
        // Timeout or outage after the client's own retries: the transaction may have landed, or may
        // still be on its way. Settle which, for good, before answering.
        if (await settle(s, ledger.verification(ver.id))) return { ok: true, audit: undefined };
        throw e;
      }
      // The verification id is random and ours alone: if its record exists, an earlier attempt of this
      // very commit landed (its answer was lost to a timeout, and the store did not recognise the
      // retry) — everything else of that transaction landed with it.
      if (reasons[0] === 'ConditionalCheckFailed' && (await landed(s, ledger.verification(ver.id)))) {
        return { ok: true, audit: undefined };
      }
      const conflicts = reasons.slice(3).flatMap((r, i) => (r === 'ConditionalCheckFailed' ? [i] : []));
      if (conflicts.length > 0) return { ok: false, conflicts };
      const headMoved =
        reasons.slice(0, 3).some((r) => r === 'ConditionalCheckFailed') ||
        reasons.includes('TransactionConflict');
      if (!headMoved || Date.now() - started > HEAD_RETRY_BUDGET_MS) throw e;
      const cap = Math.min(MAX_BACKOFF_MS, 2 * 2 ** Math.min(attempt, 5));
      await new Promise((r) => setTimeout(r, cap * Math.random()));
    }
  }
}

/** Whether the verification record at `key` exists (a consistent read; false when the store can't say). */
async function landed(s: StoreContext, key: Key): Promise<boolean> {
  try {
    return (await getVerification(s, '', key)) !== undefined;
  } catch {
    return false;
  }
}

/** How long a tombstone of a commit that did not land is kept (it only has to outlive the commit). */
const TOMBSTONE_SECONDS = 7 * 24 * 3600;

/**
 * Settles a commit whose answer was lost (a timeout, an outage): true when it landed, false when it
 * now never will. Where the verification record is absent, a tombstone takes its place first
 * (`attribute_not_exists`): a transaction still on its way then fails its own condition on that
 * record, so nothing of it — audit entry, replay guard, consumed challenge — can land after the
 * request was answered 503. A plain read could only say "not yet". False also when the store cannot
 * say at all (three rounds of tombstone write and read all fail): the caller answers 503 then, and
 * only then may the transaction still land later (an audit entry for an answer nobody received).
 */
async function settle(s: StoreContext, key: Key): Promise<boolean> {
  const Key = keyAttrs(key);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await s.db.send(
        new PutItemCommand({
          TableName: s.table,
          Item: {
            ...Key,
            aborted: { BOOL: true },
            ttl: { N: String(Math.floor(Date.now() / 1000) + TOMBSTONE_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return false; // the tombstone is in place: the transaction can no longer land
    } catch (e) {
      if (!isConditionFailed(e)) continue; // the store did not answer: try again
    }
    // Something holds the id: the commit's record, or a tombstone of ours whose answer was lost too.
    try {
      const r = await s.db.send(new GetItemCommand({ TableName: s.table, Key, ConsistentRead: true }));
      if (r.Item) return r.Item.aborted?.BOOL !== true;
    } catch {
      // try again
    }
  }
  return false;
}

/** Reads one verification (an RP's `VER#<id>` unless `key` says where); undefined when unknown. */
export async function getVerification(
  s: StoreContext,
  id: string,
  key: Key = keys.verification(id),
): Promise<VerificationRecord | undefined> {
  const r = await guarded(() =>
    s.db.send(new GetItemCommand({ TableName: s.table, Key: keyAttrs(key), ConsistentRead: true })),
  );
  if (!r.Item || r.Item.aborted?.BOOL === true) return undefined; // absent, or a tombstone (see settle)
  const o = unmarshal(r.Item) as unknown as VerificationRecord;
  return {
    id: o.id,
    clientId: o.clientId,
    result: o.result,
    reasons: o.reasons,
    checks: o.checks,
    createdAt: o.createdAt,
  };
}

/**
 * Reads a client's audit chain, lane by lane, each in order (for verification tools and tests);
 * `lanes`: the most the service ever used (the `AUDIT_LANES` binding only grows); `ledger` reads
 * another ledger's chain (e.g. the console's day, {@link Ledger}).
 */
export async function readAudit(
  s: StoreContext,
  clientId: string,
  lanes = AUDIT_LANES,
  ledger: Pick<Ledger, 'auditPartition'> = rpLedger(clientId),
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  // An RP's lanes are partitions of their own; the console's day keeps every lane in one.
  const partitions = [...new Set(Array.from({ length: lanes }, (_, lane) => ledger.auditPartition(lane)))];
  for (const partition of partitions) {
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const r = await guarded(() =>
        s.db.send(
          new QueryCommand({
            TableName: s.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :seq)',
            ExpressionAttributeValues: { ':pk': { S: partition }, ':seq': { S: 'SEQ#' } },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const it of r.Items ?? []) {
        const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = unmarshal(it);
        out.push(rest as unknown as AuditEntry);
      }
      start = r.LastEvaluatedKey;
    } while (start);
  }
  return out;
}

/**
 * Checks a client's audit log (as `readAudit` returns it): in every lane, seqs run 1, 2, 3…, every
 * `prev` links to the entry before and every hash recomputes. Returns the 1-based position in
 * `entries` of the first entry that breaks this, or 0 when all hold.
 */
export async function verifyAuditChain(entries: AuditEntry[]): Promise<number> {
  const last = new Map<number, { seq: number; hash: string }>();
  for (const [i, e] of entries.entries()) {
    const { hash, ...body } = e;
    const before = last.get(e.lane) ?? { seq: 0, hash: GENESIS_HASH };
    if (e.seq !== before.seq + 1 || e.prev !== before.hash || (await auditHash(body)) !== hash) return i + 1;
    last.set(e.lane, { seq: e.seq, hash });
  }
  return 0;
}
