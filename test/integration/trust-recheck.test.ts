/**
 * The trust store's bounded staleness (`functions/src/store/trust.ts`, docs/capacity.md): an isolate reads
 * the environment's trust version (`TRUST`/`META`) only when its last check is `TRUST_RECHECK_SECONDS`
 * old, so a change made elsewhere — another isolate's admin call, here written straight to the table — is
 * seen within that bound, and a change made through this isolate at once. The Worker's app in this
 * process on DynamoDB Local; the bound is set far above the test's duration (60 s) or to 0, so nothing
 * here depends on timing.
 */
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { answered, benchCard, newChallengeBytes, verificationBody } from '../../bench/lib/fixtures.ts';
import { type InProcessService, startInProcess } from '../../bench/lib/inprocess.ts';
import { storeFor } from '../../functions/src/store/db.ts';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { trustEntries } from '../../functions/src/store/trust.ts';
import { sandboxCSCA } from '../../sdk/src/sandbox/index.ts';
import { useTables } from '../support/dynamodb.ts';

const db = useTables();
let svc: InProcessService;

beforeAll(async () => {
  svc = await startInProcess({ dynamo: { endpoint: db.endpoint, prefix: db.prefix } });
});

async function verify(): Promise<string> {
  const card = await benchCard('valid');
  const ch = newChallengeBytes();
  await svc.putChallenge(ch.id, ch.bytes);
  const body = await verificationBody(svc.client, svc.env.SERVICE_URL, await answered(card, ch.bytes), ch.id);
  const res = await svc.fetch('/v1/verifications', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: string }).result;
}

/** Removes every CSCA and moves the version as another isolate's admin call would (this one unaware). */
async function removeCscasElsewhere(): Promise<void> {
  const table = db.tableName('sandbox');
  const cscas = (await trustEntries(storeFor(svc.env, 'sandbox'))).filter((e) => e.kind === 'csca');
  expect(cscas.length).toBeGreaterThan(0);
  await db.client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        ...cscas.map((e) => ({ Delete: { TableName: table, Key: keyAttrs(keys.csca(e.id)) } })),
        {
          Put: {
            TableName: table,
            Item: { ...keyAttrs(keys.trustMeta()), version: { S: `elsewhere-${Date.now()}` } },
          },
        },
      ],
    }),
  );
}

describe('trust store: bounded staleness', () => {
  it('a CSCA removed elsewhere still anchors chips here until the recheck is due, then no more; re-added here, at once', async () => {
    svc.env.TRUST_RECHECK_SECONDS = '60';
    try {
      expect(await verify()).toBe('verified'); // this isolate has checked the version just now
      await removeCscasElsewhere();
      expect(await verify(), 'within the bound: the cached trust store').toBe('verified');
      svc.env.TRUST_RECHECK_SECONDS = '0';
      expect(await verify(), 'once the recheck is due: the CSCA is gone').toBe('rejected');
      svc.env.TRUST_RECHECK_SECONDS = '60';
      const res = await svc.admin(
        'POST',
        '/admin/v1/trust/sandbox/cscas',
        JSON.stringify({ pem: (await sandboxCSCA()).pem }),
      );
      expect(res.status).toBe(201);
      expect(await verify(), "this isolate's own change: at once, whatever the bound").toBe('verified');
    } finally {
      delete svc.env.TRUST_RECHECK_SECONDS;
    }
  });
});
