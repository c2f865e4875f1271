/**
 * DynamoDB capacity accounting — what each request of the service costs in read and write units, item
 * by item, and the load that puts on each partition key (`bench/capacity.ts`, docs/capacity.md).
 *
 * Rules (AWS DynamoDB Developer Guide, "Read/write capacity mode" and "Item sizes and formats";
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * a strongly consistent read is 1 read unit per 4 KB of the item, rounded up (an eventually consistent
 * one half that); a write is 1 write unit per 1 KB of the larger of the item before and after, rounded
 * up; in a transaction (TransactWriteItems) every item costs twice. A read of a missing item still
 * costs the minimum (1 unit strongly consistent). Item size: the UTF-8 lengths of the attribute names
 * plus their values — a string its UTF-8 length, a number about 1 byte per two significant digits + 1,
 * a boolean or null 1 byte, a list or map 3 bytes + its elements (each 1 byte more, a map's with its
 * key's name).
 *
 * Partition limits (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
 * and .../TroubleshootingThrottlingOnDemand.html): each partition serves at most 3,000 read units and
 * 1,000 write units per second, on-demand tables included. All items of one partition key value are
 * counted together here (a conservative reading: DynamoDB may split a hot key's items by sort key, but
 * does not promise to).
 */

/** A DynamoDB attribute value as the low-level JSON API carries it. */
export type WireValue = {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  L?: WireValue[];
  M?: Record<string, WireValue>;
  SS?: string[];
  NS?: string[];
  BS?: string[];
};
export type WireItem = Record<string, WireValue>;

export const PARTITION_READ_LIMIT = 3000;
export const PARTITION_WRITE_LIMIT = 1000;

const utf8 = (s: string) => new TextEncoder().encode(s).length;

function numberSize(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Size in bytes of one attribute value (without its name). */
export function valueSize(v: WireValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return Math.floor((v.B.replace(/=+$/, '').length * 3) / 4);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((a, s) => a + utf8(s), 0);
  if (v.NS) return v.NS.reduce((a, s) => a + numberSize(s), 0);
  if (v.BS) return v.BS.reduce((a, s) => a + Math.floor((s.replace(/=+$/, '').length * 3) / 4), 0);
  if (v.L) return 3 + v.L.reduce((a, e) => a + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((a, [k, e]) => a + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

/** Size in bytes of an item, as DynamoDB counts it for capacity. */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce((a, [k, v]) => a + utf8(k) + valueSize(v), 0);
}

/** Read units of reading an item of `bytes` (0: missing, still the minimum). */
export function readUnits(bytes: number, consistent: boolean): number {
  const u = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? u : u / 2;
}

/** Write units of writing an item whose larger image is `bytes`. */
export function writeUnits(bytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
}

/** One item one request touched. */
export interface Access {
  /** The DynamoDB operation it was part of. */
  op: string;
  /** Partition key with the varying parts named (`CLIENT#<client>[#<shard>]`, `AUDIT#<client>#<lane>`, …). */
  partition: string;
  sort: string;
  access: 'read' | 'write';
  /** Reads: strongly consistent. */
  consistent?: boolean;
  /** Writes: part of a TransactWriteItems. */
  transactional?: boolean;
  /** Item size in bytes (for a write the larger of before and after; 0: a read of a missing item). */
  bytes: number;
  units: number;
}

/** One store call of a request: its accesses' units summed, and what DynamoDB Local reported. */
export interface CallRecord {
  op: string;
  units: number;
  /** `ConsumedCapacity.CapacityUnits` as DynamoDB Local answered (undefined: none reported). */
  reported?: number;
}

export interface RequestRecord {
  /** What the request was (route and conditions). */
  what: string;
  calls: CallRecord[];
  accesses: Access[];
}

export interface CapacityRecords {
  note: string;
  /** Constants of the code the records were taken with (the model reads them from here). */
  settings: { auditLanes: number; trustRecheckSeconds: number };
  requests: Record<string, RequestRecord>;
}

/**
 * Names the varying parts of a key: client ids (given), copies, lanes, random ids, keyed hashes.
 *
 * @example
 * normaliseKey('AUDIT#sandbox_a#07', 'SEQ#07#000000000001', ['sandbox_a']);
 * // { partition: 'AUDIT#<client>#<lane>', sort: 'SEQ#<lane>#<seq>' }
 */
export function normaliseKey(
  pk: string,
  sk: string,
  clients: readonly string[],
): { partition: string; sort: string } {
  let p = pk;
  let s = sk;
  for (const c of clients) {
    p = p.split(`#${c}#`).join('#<client>#');
    if (p.endsWith(`#${c}`)) p = `${p.slice(0, -c.length)}<client>`;
    if (s === `CLIENT#${c}`) s = 'CLIENT#<client>';
  }
  p = p
    .replace(/^CLIENT#<client>(#\d+)?$/, 'CLIENT#<client>[#<shard>]')
    .replace(/^AUDIT#<client>#\d+$/, 'AUDIT#<client>#<lane>')
    .replace(/^(CHAL|VER)#.+$/, '$1#<id>')
    .replace(/^(JTI|IDEM)#<client>#.+$/, '$1#<client>#<id>')
    .replace(/^IDEM#admin#.+$/, 'IDEM#admin#<id>')
    .replace(/^CARD#.+$/, 'CARD#<card>')
    .replace(/^CIT#.+$/, 'CIT#<citizen>')
    .replace(/^RATE#(.+)#\d+$/, 'RATE#$1#<window>');
  s = s
    .replace(/^HEAD#\d+$/, 'HEAD#<lane>')
    .replace(/^SEQ#\d+#\d+$/, 'SEQ#<lane>#<seq>')
    .replace(/^(CSCA|CRL)#[0-9a-f]+$/, '$1#<sha256>');
  return { partition: p, sort: s };
}

/** How the load on a partition (by its pattern) grows with traffic. */
export type Scope =
  | { kind: 'global' }
  | { kind: 'client'; spread: 'shards' | 'lanes' | 'none' }
  | { kind: 'own' };

/** The scope of a partition pattern: one for the service, one per client (spread or not), or one per request/citizen. */
export function scopeOf(partition: string): Scope {
  if (/<id>|<card>|<citizen>/.test(partition)) return { kind: 'own' };
  if (partition === 'CLIENT#<client>[#<shard>]') return { kind: 'client', spread: 'shards' };
  if (partition.includes('<lane>')) return { kind: 'client', spread: 'lanes' };
  if (partition.includes('<client>')) return { kind: 'client', spread: 'none' };
  return { kind: 'global' };
}

/** Client c's share of the traffic (rank 1 … n) under a Zipf law of exponent s. */
export function zipfShares(n: number, s: number): number[] {
  const w = Array.from({ length: n }, (_, i) => (i + 1) ** -s);
  const h = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / h);
}
