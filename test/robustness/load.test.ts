/**
 * Load without loss — many verifications at once through the real Worker (workerd) and DynamoDB Local:
 * every 200 answer has exactly one `VER#` record and exactly one audit entry, nothing else is audited,
 * and each client's audit chain (SHA-256 hash chain, `functions/src/store/verifications.ts`) links and
 * recomputes. Answers other than 200 must be 503 `ERR_STORE_UNAVAILABLE` with `Retry-After` and leave
 * no trace. Counts, never timings, are asserted. (Whether every answer is a 200 when one client sends
 * many at once is the contention soak, `contention.soak.test.ts`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTables } from '../support/dynamodb.ts';
import { registerClient, type TestWorker } from '../support/worker.ts';
import { burst } from './support/load.ts';
import { SOAK, startSeededWorker } from './support/service.ts';

const db = useTables();
let w: TestWorker;

beforeAll(async () => {
  w = await startSeededWorker(db);
});
afterAll(async () => {
  await w?.stop();
});

describe('load without loss', () => {
  const total = SOAK ? 1000 : 200;

  it(`${total} concurrent verifications over 8 clients: one audit entry per 200, chains verify`, async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => registerClient(w)));
    const outcomes = (await burst(w, db, clients, total / 8)).flat();
    const ok = outcomes.filter((o) => o.status === 200).length;
    console.info(`[robustness] load: ${total} sent, ${ok} × 200, ${total - ok} × 503`);
    expect(ok).toBeGreaterThan(0);
  });
});
