/**
 * Races — what must happen exactly once under concurrency (RFC 7519 §4.1.7 `jti` single use; Doc 9303
 * Part 11 §6.1 one-time Active Authentication challenge): 50 concurrent submissions of one signed
 * request are accepted once (the rest 409 `ERR_REQUEST_REPLAYED`, or 503 with nothing written), and
 * 50 concurrent verifications answering one challenge get the challenge's clone evidence once; and a
 * burst of 50 against a quota of 20 is served exactly 20 times, every request counted (atomic counter).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItems } from '../../functions/src/store/db.ts';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { makeCard } from '../../sdk/src/sandbox/index.ts';
import { useTables } from '../support/dynamodb.ts';
import { newChallenge, postVerification, registerClient, type TestWorker } from '../support/worker.ts';
import {
  expectAuditMatches,
  expectProblem,
  readAudit,
  sandboxStore,
  startSeededWorker,
} from './support/service.ts';

const db = useTables();
let w: TestWorker;
const N = 50;

beforeAll(async () => {
  w = await startSeededWorker(db);
});
afterAll(async () => {
  await w?.stop();
});

describe('races', () => {
  it(`${N} concurrent submissions of one signed request → exactly one accepted`, async () => {
    const rp = await registerClient(w);
    const card = await makeCard({ profile: 'no-aa', seed: 'robustness-race' });
    const request = await rp.request(card.dump);
    const answers = await Promise.all(
      Array.from({ length: N }, async () => {
        const res = await postVerification(w, rp, card.dump, { request });
        if (res.status === 200) return { status: 200, id: ((await res.json()) as { id: string }).id };
        return { status: res.status, code: (await expectProblem(res)).code };
      }),
    );
    const ok = answers.filter((a) => a.status === 200);
    const others = answers.filter((a) => a.status !== 200);
    console.info(
      `[robustness] one request × ${N}: ${ok.length} × 200, ${others.filter((a) => a.status === 409).length} × 409, ${others.filter((a) => a.status === 503).length} × 503`,
    );
    expect(ok).toHaveLength(1);
    for (const a of others) {
      expect([409, 503]).toContain(a.status);
      expect(a.code).toBe(a.status === 409 ? 'ERR_REQUEST_REPLAYED' : 'ERR_STORE_UNAVAILABLE');
    }
    await expectAuditMatches(await readAudit(sandboxStore(db), rp.clientId), [ok[0]!.id!]);
  });

  it(`${N} concurrent verifications answering one challenge → the challenge counts once`, async () => {
    const rp = await registerClient(w);
    const ch = await newChallenge(w, rp);
    const card = await makeCard({
      profile: 'valid',
      seed: 'robustness-race',
      challenge: new Uint8Array(Buffer.from(ch.challenge, 'base64')),
    });
    // Distinct signed requests (own jti), all naming the same challenge.
    const requests = await Promise.all(
      Array.from({ length: N }, () => rp.request(card.dump, { challengeId: ch.id })),
    );
    const answers = await Promise.all(
      requests.map(async (request) => {
        const res = await postVerification(w, rp, card.dump, { request });
        if (res.status === 200) {
          const j = (await res.json()) as { id: string; result: string; reasons: string[] };
          return { status: 200, id: j.id, result: j.result, reasons: j.reasons };
        }
        return { status: res.status, code: (await expectProblem(res)).code };
      }),
    );
    const verified = answers.filter((a) => a.result === 'verified');
    console.info(
      `[robustness] one challenge × ${N}: ${verified.length} verified, ${answers.filter((a) => a.result === 'inconclusive').length} inconclusive, ${answers.filter((a) => a.status === 409).length} × 409, ${answers.filter((a) => a.status === 503).length} × 503`,
    );
    expect(verified).toHaveLength(1);
    for (const a of answers) {
      if (a === verified[0]) continue;
      if (a.status === 200) {
        // Read after the challenge was used: the AA answer proves nothing any more.
        expect(a).toMatchObject({ result: 'inconclusive', reasons: ['challenge_invalid'] });
      } else {
        expect([409, 503]).toContain(a.status);
        expect(a.code).toBe(a.status === 409 ? 'ERR_CHALLENGE_INVALID' : 'ERR_STORE_UNAVAILABLE');
      }
    }
    const stored = await db.client.send(
      new GetItemCommand({
        TableName: db.tableName('sandbox'),
        Key: keyAttrs(keys.challenge(ch.id)),
        ConsistentRead: true,
      }),
    );
    expect(stored.Item?.used?.BOOL).toBe(true);
    await expectAuditMatches(
      await readAudit(sandboxStore(db), rp.clientId),
      answers.flatMap((a) => (a.status === 200 ? [a.id!] : [])),
    );
  });
});

describe('rate limit under a burst', () => {
  it(`${N} concurrent requests of one client against a quota of 20 → exactly 20 served, every one counted`, async () => {
    const limited = await startSeededWorker(db, { RATE_LIMIT_PER_MINUTE: '20' });
    try {
      const rp = await registerClient(limited);
      // All in one minute window: wait out the last seconds of a minute.
      const inMinute = Date.now() % 60_000;
      if (inMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - inMinute));
      const window = Math.floor(Date.now() / 60_000);
      const bearers = await Promise.all(Array.from({ length: N }, () => rp.bearer('POST', '/v1/challenges')));
      const statuses = await Promise.all(
        bearers.map(async (authorization) => {
          const res = await limited.fetch('/v1/challenges', { method: 'POST', headers: { authorization } });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      expect(Math.floor(Date.now() / 60_000), 'the burst stayed in one window').toBe(window);
      const served = statuses.filter((s) => s === 201).length;
      console.info(
        `[robustness] rate limit 20 × ${N} at once: ${served} × 201, ${statuses.filter((s) => s === 429).length} × 429`,
      );
      expect(served).toBe(20);
      expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
      const [item] = await getItems(sandboxStore(db), [keys.client(rp.clientId)]);
      expect(item?.[`rate_${window}`]?.N).toBe(String(N));
    } finally {
      await limited.stop();
    }
  });
});
