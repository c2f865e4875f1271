/**
 * The Worker's DynamoDB client (`functions/src/store/dynamo-http.ts`, low-level API over fetch) and the
 * in-memory store used by the benchmark (`functions/src/store/memory.ts`) against the AWS SDK's
 * `DynamoDBClient`, the first two on DynamoDB Local: the same store-module calls — replay guard,
 * challenges, idempotency records, rate counters (and a client's own), registry upserts, batch reads, trust-store items,
 * verification commits with the audit chain (including a lost race, a read-ahead head and a consumed
 * item's cancellation reasons) — give the same answers and leave the same items.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { countClientRequest, getClient, putClient } from '../../functions/src/store/clients.ts';
import type { StoreContext } from '../../functions/src/store/db.ts';
import { getItems, transact, unmarshal } from '../../functions/src/store/db.ts';
import { DynamoHttpClient } from '../../functions/src/store/dynamo-http.ts';
import { type Key, keys } from '../../functions/src/store/keys.ts';
import { MemoryDynamo, memoryStoreContext } from '../../functions/src/store/memory.ts';
import {
  cardRecord,
  citizenRecord,
  setRegistryStatus,
  upsertRegistry,
} from '../../functions/src/store/registry.ts';
import {
  challengeConsume,
  challengePut,
  challengeRecord,
  consumeJti,
  countRequest,
  getIdempotency,
  idempotencyPut,
  jtiPut,
} from '../../functions/src/store/requests.ts';
import { addTrust, loadTrust, removeTrust } from '../../functions/src/store/trust.ts';
import {
  commitVerification,
  firstAuditHead,
  readAudit,
  verifyAuditChain,
} from '../../functions/src/store/verifications.ts';
import { useTables } from '../support/dynamodb.ts';
import { auditFacts, verificationRecord } from './support/commits.ts';

const db = useTables();

/** Runs one scripted sequence of store calls; returns everything observable, minus volatile values. */
async function script(s: StoreContext): Promise<unknown[]> {
  const out: unknown[] = [];
  const read = async (k: Key) => (await getItems(s, [k]))[0];
  const getChallenge = async (id: string) => challengeRecord(id, await read(keys.challenge(id)));
  const getCard = async (k: string) => cardRecord(await read(keys.card(k)));
  const getCitizen = async (k: string) => citizenRecord(await read(keys.citizen(k)));
  const safe = async (f: () => Promise<unknown>) => {
    try {
      return await f();
    } catch (e) {
      const err = e as { name?: string; CancellationReasons?: { Code?: string }[] };
      return { error: err.name, reasons: err.CancellationReasons?.map((r) => r.Code) };
    }
  };
  const exp = Math.floor(Date.now() / 1000) + 300;
  out.push(
    await consumeJti(s, 'sandbox_a', 'jti-00000001', exp),
    await consumeJti(s, 'sandbox_a', 'jti-00000001', exp),
  );
  const now = Date.now();
  await transact(s, [
    challengePut(s, {
      id: 'chl_1',
      clientId: 'sandbox_a',
      challenge: 'AAECAwQFBgc=',
      expiresAt: now + 60_000,
      used: false,
    }),
  ]);
  out.push(await getChallenge('chl_1'));
  out.push(await safe(() => transact(s, [challengeConsume(s, 'chl_1', 'sandbox_b', now)])));
  out.push(await safe(() => transact(s, [challengeConsume(s, 'chl_1', 'sandbox_a', now)])));
  out.push(await safe(() => transact(s, [challengeConsume(s, 'chl_1', 'sandbox_a', now)])));
  out.push((await getChallenge('chl_1'))?.used);
  const rec = { fingerprint: 'f1', status: 200, sealed: 'AAAA', contentType: 'application/json' };
  await transact(s, [idempotencyPut(s, 'sandbox_a', 'key-1', rec)]);
  out.push(await getIdempotency(s, 'sandbox_a', 'key-1'));
  out.push(await safe(() => transact(s, [idempotencyPut(s, 'sandbox_a', 'key-1', rec)])));
  out.push(await countRequest(s, 'sandbox_a', 7, 60), await countRequest(s, 'sandbox_a', 7, 60));
  // A client's own rate counter: unknown client, counts in a window, the next window, a stale window,
  // and a replaced record that keeps its count.
  const client = {
    clientId: 'sandbox_c',
    name: 'C',
    status: 'active' as const,
    scope: ['name'],
    keys: [],
    createdAt: 'x',
    updatedAt: 'x',
  };
  const counted = async (w: number) => {
    const r = await countClientRequest(s, 'sandbox_c', w);
    return r && { count: r.count, status: r.record.status, name: r.record.name };
  };
  out.push(await counted(100));
  await putClient(s, client, 'create');
  out.push(await counted(100), await counted(100), await counted(101), await counted(101));
  await putClient(s, { ...client, name: 'C2', status: 'disabled' }, 'replace');
  out.push(await counted(101), await counted(105), await getClient(s, 'sandbox_c'));
  await upsertRegistry(s, [
    { kind: 'card', key: 'k1', record: { citizenKey: 'c1', status: 'active', issuedOn: '2021-01-01' } },
    { kind: 'citizen', key: 'c1', record: { birthDate: '1990', fullName: 'A B', sex: 'M', status: 'alive' } },
  ]);
  out.push(await getCard('k1'), await getCitizen('c1'), await getCard('nope'));
  out.push(
    await setRegistryStatus(s, 'card', 'k1', 'revoked'),
    await setRegistryStatus(s, 'card', 'nope', 'lost'),
  );
  out.push((await getCard('k1'))?.status);
  // One batch read: present, absent and repeated keys, answered in request order.
  out.push(
    (await getItems(s, [keys.card('k1'), keys.citizen('nope'), keys.citizen('c1'), keys.card('k1')])).map(
      (it) => it && { pk: it.pk?.S, status: it.status?.S },
    ),
  );
  const id = await addTrust(s, 'csca', new Uint8Array([1, 2, 3]));
  out.push(
    id,
    (await loadTrust(s)).cscas.length,
    await removeTrust(s, 'csca', id),
    await removeTrust(s, 'csca', id),
  );
  out.push((await loadTrust(s)).cscas.length);
  // Verifications: a chain of 3, one with a consumed jti (conflict reported at its index), two racing.
  const facts = (n: number) => auditFacts(`ver_${n}`);
  const ver = (n: number) => verificationRecord(`ver_${n}`);
  out.push((await commitVerification(s, ver(1), facts(1), [jtiPut(s, 'sandbox_a', 'jti-v1', exp)])).ok);
  out.push(await commitVerification(s, ver(2), facts(2), [jtiPut(s, 'sandbox_a', 'jti-v1', exp)]));
  const raced = await Promise.all([3, 4].map((n) => commitVerification(s, ver(n), facts(n), [])));
  out.push(raced.map((r) => r.ok));
  // The head read ahead (as the pipeline does with the registry), then a stale read-ahead: the
  // commit must notice the moved head and retry on a fresh read.
  const lane5 = firstAuditHead('sandbox_a', 'ver_5');
  const [head5] = await getItems(s, [lane5]);
  out.push((await commitVerification(s, ver(5), facts(5), [], { head: head5 })).ok);
  let n = 6;
  while (firstAuditHead('sandbox_a', `ver_${n}`).sk !== lane5.sk) n++;
  out.push(n, (await commitVerification(s, ver(n), facts(n), [], { head: head5 })).ok);
  const audit = await readAudit(s, 'sandbox_a');
  out.push(
    // Which lane (and so which seq) a commit lands on after a lost race is random: count, not seqs.
    audit.length,
    audit.map((e) => e.verificationId).sort(),
    await verifyAuditChain(audit),
  );
  return out;
}

async function items(s: StoreContext, mem?: MemoryDynamo) {
  const raw = mem
    ? mem.scan(s.table)
    : ((await db.client.send(new ScanCommand({ TableName: s.table, ConsistentRead: true }))).Items ?? []);
  const volatile = new Set([
    'exp',
    'ttl',
    'updatedAt',
    'addedAt',
    'version',
    'hash',
    'prev',
    'expiresAt',
    'seq',
  ]);
  return raw
    .map((it) => {
      const o = unmarshal(it);
      for (const k of Object.keys(o)) if (volatile.has(k)) delete o[k];
      // Audit items: which verification landed at which seq depends on the race, and a commit that
      // lost a race moves to a random lane.
      if (typeof o.sk === 'string' && o.sk.startsWith('SEQ#')) {
        delete o.verificationId;
        delete o.lane;
        o.sk = 'SEQ#';
        o.pk = String(o.pk).replace(/#\d+$/, '#<lane>'); // a lane is its own partition
      }
      // Lane heads: how many lanes were used depends on the same random choice (chains are checked above).
      if (typeof o.sk === 'string' && o.sk.startsWith('HEAD#')) return undefined;
      if (o.pk === 'TRUST' && o.sk === 'META') return undefined;
      return o;
    })
    .filter((o) => o !== undefined)
    .sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

describe('DynamoHttpClient ≡ MemoryDynamo ≡ the AWS SDK for the store modules', () => {
  it('same answers, same items', async () => {
    const sdk = { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
    const http = {
      db: new DynamoHttpClient({
        endpoint: db.endpoint,
        region: 'ap-southeast-1',
        accessKeyId: 'local',
        secretAccessKey: 'local',
      }),
      table: db.tableName('live'),
      env: 'live' as const,
    };
    const mem = new MemoryDynamo();
    const memory = memoryStoreContext(mem, 'mem-sandbox', 'sandbox');
    const a = await script(sdk);
    const b = await script(memory);
    const c = await script(http);
    const norm = (x: unknown[]) =>
      JSON.parse(JSON.stringify(x, (k, v) => (k === 'expiresAt' || k === 'fingerprint' ? undefined : v)));
    expect(norm(b)).toEqual(norm(a));
    expect(norm(c)).toEqual(norm(a));
    expect(await items(memory, mem)).toEqual(await items(sdk));
    expect(await items(http)).toEqual(await items(sdk));
    expect(mem.size('mem-sandbox')).toBeGreaterThan(10);
  });
});

describe("a client's rate counter (countClientRequest) on DynamoDB Local", () => {
  it('counts per window, reads the client back, keeps one window, writes nothing for an unknown client', async () => {
    const s = {
      db: new DynamoHttpClient({
        endpoint: db.endpoint,
        region: 'ap-southeast-1',
        accessKeyId: 'local',
        secretAccessKey: 'local',
      }),
      table: db.tableName('sandbox'),
      env: 'sandbox' as const,
    };
    const id = `sandbox_rate${Date.now()}`;
    const rec = { clientId: id, name: 'R', status: 'active' as const, scope: ['name'], keys: [] };
    const count = async (w: number) => (await countClientRequest(s, id, w))?.count;
    const rateAttrs = async () => {
      const item = (await getItems(s, [keys.client(id)]))[0] ?? {};
      return Object.keys(item)
        .filter((k) => k.startsWith('rate_'))
        .sort();
    };
    expect(await countClientRequest(s, id, 50)).toBeUndefined();
    expect(await getItems(s, [keys.client(id)])).toEqual([undefined]);
    await putClient(s, { ...rec, createdAt: 'a', updatedAt: 'a' }, 'create');
    expect([await count(50), await count(50), await count(50)]).toEqual([1, 2, 3]);
    expect([await count(51), await count(51)]).toEqual([1, 2]);
    expect(await rateAttrs()).toEqual(['rate_51']);
    // A replaced record (key rotation, disabling) keeps the count, and the counted read answers it.
    await putClient(s, { ...rec, status: 'disabled', createdAt: 'a', updatedAt: 'b' }, 'replace');
    const after = await countClientRequest(s, id, 51);
    expect(after).toMatchObject({ count: 3, record: { status: 'disabled', updatedAt: 'b' } });
    // Idle for windows: the stale count is removed, the new window starts at one.
    expect(await count(60)).toBe(1);
    expect(await rateAttrs()).toEqual(['rate_60']);
  });
});
