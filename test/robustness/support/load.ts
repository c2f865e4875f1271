/**
 * A burst of concurrent verifications and the no-loss check over it (shared by the load suite and the
 * contention soak): every 200 has one `VER#` record and one audit entry, every other answer is a 503
 * `ERR_STORE_UNAVAILABLE` with `Retry-After` and leaves no trace, and each client's chain verifies.
 */
import { expect } from 'vitest';
import { makeCard } from '../../../sdk/src/sandbox/index.ts';
import type { TablesHandle } from '../../support/dynamodb.ts';
import { postVerification, type RpClient, type TestWorker } from '../../support/worker.ts';
import { expectAuditMatches, expectProblem, readAudit, sandboxStore, verificationExists } from './service.ts';

export interface Outcome {
  status: number;
  id?: string;
  code?: string;
}

/** Sends `perClient` distinct signed requests for each client, all at once; checks the invariant. */
export async function burst(
  w: TestWorker,
  db: TablesHandle,
  clients: RpClient[],
  perClient: number,
): Promise<Outcome[][]> {
  const card = await makeCard({ profile: 'no-aa', seed: 'robustness-load' });
  const requests = await Promise.all(
    clients.map(async (c) => {
      const list: string[] = [];
      for (let i = 0; i < perClient; i++) list.push(await c.request(card.dump));
      return list;
    }),
  );
  const outcomes = await Promise.all(
    clients.map((c, ci) =>
      Promise.all(
        requests[ci]!.map(async (request): Promise<Outcome> => {
          const res = await postVerification(w, c, card.dump, { request });
          if (res.status === 200) return { status: 200, id: ((await res.json()) as { id: string }).id };
          const p = await expectProblem(res);
          expect(res.status, p.code).toBe(503);
          expect(p.code).toBe('ERR_STORE_UNAVAILABLE');
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          return { status: res.status, code: p.code };
        }),
      ),
    ),
  );
  for (const [ci, c] of clients.entries()) {
    const ok = outcomes[ci]!.filter((o) => o.status === 200).map((o) => o.id!);
    await expectAuditMatches(await readAudit(sandboxStore(db), c.clientId), ok);
    for (const id of ok) expect(await verificationExists(db, id)).toBe(true);
  }
  return outcomes;
}
