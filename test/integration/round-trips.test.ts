/**
 * Store round trips per verification: the Worker's app in this process on DynamoDB Local through its
 * own client (`DynamoHttpClient`), every `send` counted on the way through. A verification counts the
 * request on the client's item and reads the client back in the same `UpdateItem`, reads everything
 * else in one `BatchGetItem` (trust-store version when due, challenge, card, citizen, audit head) and commits in
 * one transaction: three calls, each one a few milliseconds of latency against real DynamoDB — and two
 * round trips in a row, as the count and the batch read are in flight together. The first request of a
 * client in an isolate reads the client once more before the signature check.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answered, benchCard, newChallengeBytes, verificationBody } from '../../bench/lib/fixtures.ts';
import { type InProcessService, startInProcess } from '../../bench/lib/inprocess.ts';
import { DynamoHttpClient } from '../../functions/src/store/dynamo-http.ts';
import { useTables } from '../support/dynamodb.ts';

const db = useTables();
let svc: InProcessService;
const calls = new Map<string, number>();
/** `send` and `answer` events in order, e.g. `send UpdateItemCommand`. */
const events: string[] = [];
/** When set, the count's answer is held until a `BatchGetItemCommand` is sent (at most 2 s). */
let holdCountFor: { batchSent: Promise<void>; release: () => void } | undefined;
const send = DynamoHttpClient.prototype.send;

beforeAll(async () => {
  svc = await startInProcess({ dynamo: { endpoint: db.endpoint, prefix: db.prefix } });
  DynamoHttpClient.prototype.send = async function counted(this: DynamoHttpClient, command) {
    const name = (command as { constructor: { name: string } }).constructor.name;
    calls.set(name, (calls.get(name) ?? 0) + 1);
    events.push(`send ${name}`);
    if (name === 'BatchGetItemCommand') holdCountFor?.release();
    const answer = await send.call(this, command);
    if (name === 'UpdateItemCommand' && holdCountFor) {
      await Promise.race([holdCountFor.batchSent, new Promise((r) => setTimeout(r, 2_000))]);
    }
    events.push(`answer ${name}`);
    return answer;
  } as typeof send;
});
afterAll(() => {
  DynamoHttpClient.prototype.send = send;
});

async function verify(profile: 'valid' | 'no-aa', challenge: boolean, client = svc.client) {
  const card = await benchCard(profile);
  let chip = card.dump;
  let challengeId: string | undefined;
  if (challenge) {
    const ch = newChallengeBytes();
    await svc.putChallenge(ch.id, ch.bytes, client.clientId);
    chip = await answered(card, ch.bytes);
    challengeId = ch.id;
  }
  const body = await verificationBody(client, svc.env.SERVICE_URL, chip, challengeId);
  calls.clear();
  events.length = 0;
  const res = await svc.fetch('/v1/verifications', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const json = (await res.json()) as { result?: string };
  return { status: res.status, result: json.result, calls: Object.fromEntries(calls) };
}

describe('store round trips per verification', () => {
  it('a verified card answering a challenge: counted client read, one batch read, one commit', async () => {
    await verify('valid', true); // warm: the trust store is loaded once per isolate and version
    const v = await verify('valid', true);
    expect(v).toMatchObject({ status: 200, result: 'verified' });
    expect(v.calls).toEqual({
      UpdateItemCommand: 1,
      BatchGetItemCommand: 1,
      TransactWriteItemsCommand: 1,
    });
  });

  it('the count (client read) and the batch read are in flight together: two round trips in a row', async () => {
    await verify('valid', true);
    let release = () => {};
    const batchSent = new Promise<void>((r) => {
      release = r;
    });
    holdCountFor = { batchSent, release };
    try {
      const v = await verify('valid', true);
      expect(v).toMatchObject({ status: 200, result: 'verified' });
    } finally {
      holdCountFor = undefined;
    }
    // The batch is sent before the count is answered; the commit only after both answers.
    expect(events).toEqual([
      'send UpdateItemCommand',
      'send BatchGetItemCommand',
      expect.stringMatching(/^answer (UpdateItem|BatchGetItem)Command$/),
      expect.stringMatching(/^answer (UpdateItem|BatchGetItem)Command$/),
      'send TransactWriteItemsCommand',
      'answer TransactWriteItemsCommand',
    ]);
  });

  it('without a challenge (a chip without Active Authentication): the same three', async () => {
    const v = await verify('no-aa', false);
    expect(v.status).toBe(200);
    expect(v.calls).toEqual({
      UpdateItemCommand: 1,
      BatchGetItemCommand: 1,
      TransactWriteItemsCommand: 1,
    });
  });

  it('a forged token for a cached client: one read of the client, nothing counted or written', async () => {
    await verify('valid', true); // the client is cached
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const forger = {
      clientId: svc.client.clientId,
      privateJwk: { ...(await exportJWK(privateKey)), kid: svc.client.privateJwk.kid, alg: 'ES256' },
    };
    const forged = await verify('valid', true, forger);
    expect(forged.status).toBe(401);
    expect(forged.calls).toEqual({ GetItemCommand: 1 });
  });

  it('twenty forged tokens naming a client, at once and back to back: one read of it, then its genuine request goes through', async () => {
    const fresh = await svc.registerClient(`sandbox_ff${Date.now()}`);
    await verify('valid', true, fresh); // cached, counted
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const forger = {
      clientId: fresh.clientId,
      privateJwk: { ...(await exportJWK(privateKey)), kid: fresh.privateJwk.kid, alg: 'ES256' },
    };
    // Bodies signed first, so that the twenty posts fall within the second one shared read covers.
    const card = await benchCard('valid');
    const bodies = await Promise.all(
      Array.from({ length: 20 }, () => verificationBody(forger, svc.env.SERVICE_URL, card.dump)),
    );
    calls.clear();
    const post = (body: string) =>
      svc.fetch('/v1/verifications', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const statuses = [
      ...(await Promise.all(bodies.slice(0, 10).map(post))).map((r) => r.status),
      ...(await Promise.all(bodies.slice(10).map(post))).map((r) => r.status),
    ];
    expect(statuses).toEqual(Array(20).fill(401));
    expect(Object.fromEntries(calls)).toEqual({ GetItemCommand: 1 });
    // The client's own next request is not held up by that read: checked on the cache, counted.
    const genuine = await verify('valid', true, fresh);
    expect(genuine).toMatchObject({ status: 200, result: 'verified' });
    expect(genuine.calls).not.toHaveProperty('GetItemCommand');
  });

  it("a client's first request in the isolate reads the client before checking the signature", async () => {
    const fresh = await svc.registerClient(`sandbox_rt${Date.now()}`);
    const first = await verify('valid', true, fresh);
    expect(first).toMatchObject({ status: 200, result: 'verified' });
    expect(first.calls).toEqual({
      GetItemCommand: 1,
      UpdateItemCommand: 1,
      BatchGetItemCommand: 1,
      TransactWriteItemsCommand: 1,
    });
    expect((await verify('valid', true, fresh)).calls).not.toHaveProperty('GetItemCommand');
  });
});
