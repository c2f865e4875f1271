/**
 * Item keys — the single-table layout of SERVICE-CONTRACT.md ("Environments"): one table per
 * environment, key `pk` (HASH) + `sk` (RANGE), TTL attribute `ttl`.
 */

export interface Key {
  pk: string;
  sk: string;
}

/** Width of audit sequence numbers (`SEQ#03#000000000042`), so they sort as strings. */
export const SEQ_WIDTH = 12;

/**
 * A client's audit log is AUDIT_LANES hash chains ("lanes"), each with its own head: concurrent
 * verifications of one client commit on different lanes instead of all racing for one head. Each lane
 * is its own partition key (`AUDIT#<clientId>#<lane>`), so a client's audit writes spread over
 * AUDIT_LANES partitions: a commit writes two items of one lane (entry + head, 4 write units in a
 * transaction), and DynamoDB serves at most 1,000 write units per second per partition — one
 * partition would cap a client near 250 verifications per second (docs/capacity.md). The count is a
 * setting (`AUDIT_LANES` binding, default 32): raising it only adds lanes (each a chain from genesis);
 * it must never be lowered, or lanes above it would go unread.
 */
export const AUDIT_LANES = 32;
/** Most lanes the `AUDIT_LANES` binding may ask for. */
export const MAX_AUDIT_LANES = 1024;
const lane2 = (lane: number) => String(lane).padStart(2, '0');
/** The partition key of one audit lane of a client. */
export const auditLanePk = (clientId: string, lane: number): string => `AUDIT#${clientId}#${lane2(lane)}`;

export const keys = {
  citizen: (idHash: string): Key => ({ pk: `CIT#${idHash}`, sk: 'CITIZEN' }),
  card: (docHash: string): Key => ({ pk: `CARD#${docHash}`, sk: 'CARD' }),
  client: (clientId: string): Key => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' }),
  /**
   * Copy `shard` of a client's item (shard 0 is the item itself): a client with a large quota is kept
   * in several items written together, each counting its share of the requests (`clients.ts`).
   */
  clientShard: (clientId: string, shard: number): Key =>
    shard === 0
      ? { pk: `CLIENT#${clientId}`, sk: 'CLIENT' }
      : { pk: `CLIENT#${clientId}#${shard}`, sk: 'CLIENT' },
  /** The client directory: one entry per client in one partition, for listing (`listClients`). */
  clientEntry: (clientId: string): Key => ({ pk: 'CLIENTS', sk: `CLIENT#${clientId}` }),
  csca: (sha256Hex: string): Key => ({ pk: 'TRUST', sk: `CSCA#${sha256Hex}` }),
  crl: (sha256Hex: string): Key => ({ pk: 'TRUST', sk: `CRL#${sha256Hex}` }),
  /** Trust-store version tag: rewritten with every CSCA/CRL change so isolates reload their cache. */
  trustMeta: (): Key => ({ pk: 'TRUST', sk: 'META' }),
  challenge: (id: string): Key => ({ pk: `CHAL#${id}`, sk: 'CHAL' }),
  jti: (clientId: string, jti: string): Key => ({ pk: `JTI#${clientId}#${jti}`, sk: 'JTI' }),
  idem: (clientId: string, key: string): Key => ({ pk: `IDEM#${clientId}#${key}`, sk: 'IDEM' }),
  verification: (id: string): Key => ({ pk: `VER#${id}`, sk: 'VER' }),
  auditHead: (clientId: string, lane: number): Key => ({
    pk: auditLanePk(clientId, lane),
    sk: `HEAD#${lane2(lane)}`,
  }),
  auditSeq: (clientId: string, lane: number, seq: number): Key => ({
    pk: auditLanePk(clientId, lane),
    sk: `SEQ#${lane2(lane)}#${String(seq).padStart(SEQ_WIDTH, '0')}`,
  }),
  /** The console's verification records: apart from RPs' `VER#`, expiring (console/service.ts). */
  consoleVerification: (id: string): Key => ({ pk: `CONSOLE#VER#${id}`, sk: 'VER' }),
  /** The console's audit log of one UTC day (`YYYY-MM-DD`): its own partition, expiring. */
  consoleAuditPartition: (day: string): string => `CONSOLE#AUDIT#${day}`,
  consoleAuditHead: (day: string, lane: number): Key => ({
    pk: `CONSOLE#AUDIT#${day}`,
    sk: `HEAD#${lane2(lane)}`,
  }),
  consoleAuditSeq: (day: string, lane: number, seq: number): Key => ({
    pk: `CONSOLE#AUDIT#${day}`,
    sk: `SEQ#${lane2(lane)}#${String(seq).padStart(SEQ_WIDTH, '0')}`,
  }),
  /** Fixed-window rate counter (not in the contract's list: an addition of the Worker, TTL'd). */
  rate: (clientId: string, window: number): Key => ({ pk: `RATE#${clientId}#${window}`, sk: 'RATE' }),
} as const;

/** Key as attribute values. */
export function keyAttrs(k: Key): { pk: { S: string }; sk: { S: string } } {
  return { pk: { S: k.pk }, sk: { S: k.sk } };
}
