/**
 * Faults under load — the Worker (workerd) keeps serving while its DynamoDB Local (a separate one, not
 * the run's shared instance) is frozen (SIGSTOP: an unreachable store whose data survives) and while it is
 * killed and restarted (SIGKILL: DynamoDB Local runs in memory, so the restart comes back empty and
 * is re-seeded as an operator would restore it).
 *
 * Every request carries an Idempotency-Key. During an outage the answers are 503
 * `ERR_STORE_UNAVAILABLE` with `Retry-After`; afterwards the service answers 200 again by itself (no
 * restart of the Worker); every request that got a 503 is retried as is and ends with a 200 (fresh, or
 * the stored answer when its transaction had landed after all). Then, per client: the verifications
 * answered 200 are exactly the audited ones, each once, the chain verifies, and the store holds exactly
 * one `VER#` and one `JTI#` item per answered request — no partial writes, nothing lost, nothing twice.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDBLocal,
  dynamoClient,
  freePort,
  startDynamoDBLocal,
} from '../../infra/src/dynamodb-local.ts';
import { createTables } from '../../infra/src/tables.ts';
import { makeCard, type SandboxCard } from '../../sdk/src/sandbox/index.ts';
import {
  postVerification,
  publicOf,
  type RpClient,
  registerClient,
  type TestWorker,
} from '../support/worker.ts';
import {
  expectAuditMatches,
  expectProblem,
  idemKey,
  readAudit,
  SOAK,
  startSeededWorker,
} from './support/service.ts';

const prefix = 'faults-';
const LANES = SOAK ? 8 : 4;
const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? (SOAK ? 12_000 : 6_000));
let ddb: DynamoDBLocal | undefined;
let port: number;
let endpoint: string;
let w: TestWorker;
let card: SandboxCard;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function up(): Promise<void> {
  ddb = await startDynamoDBLocal({ port, warn: () => {} });
  const client = dynamoClient(ddb.endpoint);
  try {
    await createTables(client, { prefix, warn: () => {} });
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  await up();
  w = await startSeededWorker(
    { endpoint, prefix },
    { DYNAMODB_TIMEOUT_MS: '1000', DYNAMODB_MAX_ATTEMPTS: '2' },
  );
  card = await makeCard({ profile: 'no-aa', seed: 'robustness-faults' });
});
afterAll(async () => {
  await w?.stop();
  if (ddb?.pid) {
    try {
      process.kill(ddb.pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  await ddb?.stop();
});

interface Sent {
  client: RpClient;
  request: string;
  key: string;
  status: number;
  id?: string;
  phase: 'before' | 'during' | 'after';
}

/**
 * One lane per client, sending back to back until `stop` is set (and holding while `paused`); every
 * answer recorded. While the store is down the answer must be 503; a request that lands on a store
 * restarted but not yet restored may meet an unknown client (401) — it is retried later like a 503.
 */
function runLanes(
  clients: RpClient[],
  phase: () => Sent['phase'],
  stop: () => boolean,
  log: Sent[],
  paused: () => boolean = () => false,
) {
  return Promise.all(
    clients.map(async (client) => {
      while (!stop()) {
        if (paused()) {
          await sleep(20);
          continue;
        }
        const request = await client.request(card.dump);
        const key = idemKey();
        const p = phase();
        const res = await postVerification(w, client, card.dump, { request, idempotencyKey: key });
        const sent: Sent = { client, request, key, status: res.status, phase: p };
        if (res.status === 200) sent.id = ((await res.json()) as { id: string }).id;
        else {
          const problem = await expectProblem(res);
          if (res.status === 401 && p === 'during') expect(problem.code).toBe('ERR_UNAUTHORIZED');
          else {
            expect(res.status, problem.code).toBe(503);
            expect(problem.code).toBe('ERR_STORE_UNAVAILABLE');
            expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          }
        }
        log.push(sent);
      }
    }),
  );
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(50);
}

/** Retries every non-200 request as is (same JWS, same Idempotency-Key) until it gets its 200. */
async function settle(log: Sent[]): Promise<void> {
  for (const s of log.filter((x) => x.status !== 200)) {
    for (let attempt = 0; attempt < 5 && s.status !== 200; attempt++) {
      const res = await postVerification(w, s.client, card.dump, {
        request: s.request,
        idempotencyKey: s.key,
      });
      s.status = res.status;
      if (res.status === 200) s.id = ((await res.json()) as { id: string }).id;
      else expect(['ERR_STORE_UNAVAILABLE', 'ERR_UNAUTHORIZED']).toContain((await expectProblem(res)).code);
    }
    expect(s.status, 'a request retried after the outage must end with 200').toBe(200);
  }
}

/** `VER#` and `JTI#` items per client, straight from the table. */
async function storedItems(): Promise<{ ver: Map<string, string>; jti: Map<string, number> }> {
  const client = dynamoClient(endpoint);
  const ver = new Map<string, string>();
  const jti = new Map<string, number>();
  try {
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const r = await client.send(
        new ScanCommand({
          TableName: `${prefix}sandbox`,
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const it of r.Items ?? []) {
        const pk = it.pk?.S ?? '';
        if (pk.startsWith('VER#')) ver.set(pk.slice(4), it.clientId?.S ?? '');
        else if (pk.startsWith('JTI#')) {
          const c = pk.split('#')[1] ?? '';
          jti.set(c, (jti.get(c) ?? 0) + 1);
        }
      }
      start = r.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return { ver, jti };
}

/** The invariant over `log` (requests answered 200 in the end). */
async function expectNoLoss(clients: RpClient[], log: Sent[]): Promise<void> {
  const { ver, jti } = await storedItems();
  const store = { db: dynamoClient(endpoint), table: `${prefix}sandbox`, env: 'sandbox' as const };
  try {
    for (const c of clients) {
      const ids = log.filter((s) => s.client === c).map((s) => s.id!);
      await expectAuditMatches(await readAudit(store, c.clientId), ids);
      expect(
        [...ver]
          .filter(([, owner]) => owner === c.clientId)
          .map(([id]) => id)
          .sort(),
      ).toEqual([...ids].sort());
      expect(jti.get(c.clientId) ?? 0).toBe(ids.length);
    }
  } finally {
    store.db.destroy();
  }
}

describe('DynamoDB outage under load', () => {
  it('frozen store (SIGSTOP): 503 + Retry-After (and /readyz 503), recovery by itself, no partial or lost writes', async () => {
    const clients = await Promise.all(Array.from({ length: LANES }, () => registerClient(w)));
    const log: Sent[] = [];
    let phase: Sent['phase'] = 'before';
    let stop = false;
    const lanes = runLanes(
      clients,
      () => phase,
      () => stop,
      log,
    );
    const okAfter = (p: Sent['phase']) => log.filter((s) => s.phase === p && s.status === 200).length;

    await waitFor(() => okAfter('before') >= 2 * LANES);
    process.kill(ddb!.pid!, 'SIGSTOP');
    phase = 'during';
    const probeStarted = Date.now();
    const notReady = await w.fetch('/readyz'); // the probe's own deadline, not the client's timeouts
    const probeMs = Date.now() - probeStarted;
    await sleep(Math.max(0, OUTAGE_MS - probeMs));
    process.kill(ddb!.pid!, 'SIGCONT');
    phase = 'after';
    await waitFor(() => okAfter('after') >= 2 * LANES);
    expect(notReady.status).toBe(503);
    expect(Number(notReady.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await notReady.json()) as { code: string }).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(probeMs).toBeLessThan(10_000);
    expect((await w.fetch('/readyz')).status).toBe(200);
    stop = true;
    await lanes;

    const during = log.filter((s) => s.phase === 'during');
    console.info(
      `[robustness] freeze: ${log.length} requests; during the outage ${during.filter((s) => s.status === 503).length} × 503, ${during.filter((s) => s.status === 200).length} × 200`,
    );
    expect(during.some((s) => s.status === 503)).toBe(true);
    for (const c of clients) expect(log.filter((s) => s.client === c).at(-1)?.status).toBe(200);

    await settle(log);
    await expectNoLoss(clients, log);
  });

  it('killed and restarted store (SIGKILL): 503 + Retry-After, then the same Worker serves again', async () => {
    const clients = await Promise.all(Array.from({ length: LANES }, () => registerClient(w)));
    const log: Sent[] = [];
    let phase: Sent['phase'] = 'before';
    let stop = false;
    let restoring = false;
    const lanes = runLanes(
      clients,
      () => phase,
      () => stop,
      log,
      () => restoring,
    );

    await waitFor(() => log.filter((s) => s.status === 200).length >= 2 * LANES);
    process.kill(ddb!.pid!, 'SIGKILL');
    await ddb!.exited;
    ddb = undefined;
    phase = 'during';
    await waitFor(() => log.filter((s) => s.phase === 'during' && s.status === 503).length >= LANES);

    // Back on the same port, empty (in memory): tables, trust store, registry and the clients restored
    // (lanes hold meanwhile; requests already in flight may meet the empty store).
    restoring = true;
    await up();
    await (await import('./support/service.ts')).seedSandbox(w);
    for (const c of clients) {
      const res = await w.admin('POST', '/admin/v1/clients', {
        clientId: c.clientId,
        name: 'Test RP',
        scope: ['name', 'age_over_18'],
        jwks: { keys: [publicOf(c.privateJwk)] },
      });
      expect(res.status).toBe(201);
    }
    phase = 'after';
    restoring = false;
    await waitFor(() => log.filter((s) => s.phase === 'after' && s.status === 200).length >= 2 * LANES);
    stop = true;
    await lanes;

    const during = log.filter((s) => s.phase === 'during');
    console.info(
      `[robustness] kill/restart: ${log.length} requests; while down or restoring ${during.filter((s) => s.status === 503).length} × 503, ${during.filter((s) => s.status === 401).length} × 401, ${during.filter((s) => s.status === 200).length} × 200`,
    );
    expect(during.filter((s) => s.status === 503).length).toBeGreaterThanOrEqual(LANES);
    for (const c of clients) expect(log.filter((s) => s.client === c).at(-1)?.status).toBe(200);

    // What the restarted store must hold: the requests answered after the restart, plus the ones that
    // failed while it was down, retried now (the data from before the kill died with the process).
    const afterRestart = log.filter((s) => s.phase !== 'before');
    await settle(afterRestart);
    await expectNoLoss(clients, afterRestart);
  });
});
