/**
 * Shared set-up of the robustness suites: the bundled Worker in workerd (Miniflare) on DynamoDB Local
 * with the sandbox trust store and registry seeded through the admin API, a generous rate limit (the
 * suites send hundreds of requests per client on purpose), and helpers to read what the store holds.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { keyAttrs, keys } from '../../../functions/src/store/keys.ts';
import { type AuditEntry, readAudit, verifyAuditChain } from '../../../functions/src/store/verifications.ts';
import { sandboxCSCA, sandboxRegistryJSONL } from '../../../sdk/src/sandbox/index.ts';
import type { TablesHandle } from '../../support/dynamodb.ts';
import { startWorker, type TestWorker } from '../../support/worker.ts';

/** Whether the long (soak) variants run: set by `vitest.soak.config.ts`. */
export const SOAK = process.env.CHIPID_SOAK === '1';

/** Starts the Worker on `endpoint`/`prefix` and seeds the sandbox CSCA and registry. */
export async function startSeededWorker(
  o: { endpoint: string; prefix: string },
  bindings: Record<string, string> = {},
): Promise<TestWorker> {
  const w = await startWorker({
    endpoint: o.endpoint,
    prefix: o.prefix,
    bindings: { RATE_LIMIT_PER_MINUTE: '1000000', ...bindings },
  });
  await seedSandbox(w);
  return w;
}

/** Sandbox CSCA + registry through the admin API (idempotent). */
export async function seedSandbox(w: TestWorker): Promise<void> {
  const csca = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: (await sandboxCSCA()).pem });
  expect(csca.status).toBe(201);
  const reg = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(reg.status).toBe(200);
}

/** Store context of the sandbox table of a `useTables()` handle. */
export function sandboxStore(db: TablesHandle) {
  return { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
}

/** Whether a `VER#<id>` record exists. */
export async function verificationExists(db: TablesHandle, id: string): Promise<boolean> {
  const r = await db.client.send(
    new GetItemCommand({
      TableName: db.tableName('sandbox'),
      Key: keyAttrs(keys.verification(id)),
      ConsistentRead: true,
    }),
  );
  return r.Item !== undefined;
}

/**
 * The audit invariant: `ids` (the verification ids the client was answered 200 with) are exactly the
 * audit log's verification ids, each once; in every lane seqs run 1..n; every hash links and recomputes.
 */
export async function expectAuditMatches(entries: AuditEntry[], ids: readonly string[]): Promise<void> {
  const audited = entries.map((e) => e.verificationId);
  expect(new Set(audited).size, 'no verification audited twice').toBe(audited.length);
  expect([...audited].sort()).toEqual([...ids].sort());
  const lanes = new Map<number, number[]>();
  for (const e of entries) lanes.set(e.lane, [...(lanes.get(e.lane) ?? []), e.seq]);
  for (const seqs of lanes.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(await verifyAuditChain(entries), 'first broken link (0 = none)').toBe(0);
}

export { readAudit };

/** A random Idempotency-Key. */
export const idemKey = () => `k-${randomBytes(9).toString('base64url')}`;

/** Runs `tasks` with at most `limit` in flight; results in order. */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/** Checks an RFC 9457 problem answer and returns its body. */
export async function expectProblem(res: Response): Promise<{ code: string; status: number; type: string }> {
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { code: string; status: number; type: string; title: string };
  expect(body.status).toBe(res.status);
  expect(body.type).toMatch(/^urn:chipid:problem:[a-z0-9-]+$/);
  expect(typeof body.title).toBe('string');
  expect(body.code).toMatch(/^ERR_[A-Z_]+$/);
  return body;
}
