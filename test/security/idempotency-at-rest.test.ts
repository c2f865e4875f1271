/**
 * Issue 19 item 4 — no personal data at rest in idempotency records. A verification answer carries the
 * claims the scope allowed (inside the signed assertion, a JWS whose payload is base64url JSON); what
 * the service keeps for a retry must hold none of them in clear: the item is read straight from
 * DynamoDB Local and every attribute — with any JWS payload in it decoded — is searched for each claim
 * value. A retry with the same key and body still gets the very same answer.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { CLAIM_NAMES } from '../../sdk/src/claims.ts';
import { makeCard } from '../../sdk/src/sandbox/index.ts';
import { idemKey, startSeededWorker } from '../robustness/support/service.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newChallenge,
  postVerification,
  type RpClient,
  registerClient,
  type TestWorker,
} from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let rp: RpClient;

beforeAll(async () => {
  w = await startSeededWorker(db);
  rp = await registerClient(w, { scope: [...CLAIM_NAMES] });
});
afterAll(async () => {
  await w?.stop();
});

/** Every string in an item, plus the decoded payload of every compact JWS found in one. */
function readable(item: Record<string, unknown>): string {
  const strings: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    else if (v instanceof Uint8Array) strings.push(Buffer.from(v).toString('latin1'));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(item);
  const text = strings.join('\n');
  const jws = text.match(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
  return [text, ...jws.map((t) => JSON.stringify(decodeJwt(t)))].join('\n');
}

describe('idempotency records hold no personal data in clear', () => {
  it('a verified answer with every claim: the stored item names none of them; the retry gets the same answer', async () => {
    const ch = await newChallenge(w, rp);
    const card = await makeCard({
      profile: 'valid',
      seed: 'idem-at-rest',
      challenge: new Uint8Array(Buffer.from(ch.challenge, 'base64')),
    });
    const scope = [...CLAIM_NAMES];
    const request = await rp.request(card.dump, { scope, challengeId: ch.id });
    const key = idemKey();
    const first = await postVerification(w, rp, card.dump, { request, idempotencyKey: key });
    expect(first.status).toBe(200);
    const text = await first.text();
    const answer = JSON.parse(text) as { result: string; assertion: string };
    expect(answer.result).toBe('verified');

    // The answer does carry personal data (so the check below can fail).
    const claims = decodeJwt(answer.assertion) as {
      verified_claims: {
        claims: Record<string, unknown>;
        verification: { evidence: { document_details: Record<string, unknown> }[] };
      };
    };
    const c = claims.verified_claims.claims;
    const doc = claims.verified_claims.verification.evidence[0]?.document_details ?? {};
    const values = [
      c.name,
      c.given_name,
      c.family_name,
      c.birthdate,
      (c.address as { formatted?: string } | undefined)?.formatted,
      (c.place_of_origin as { formatted?: string } | undefined)?.formatted,
      doc.personal_number,
      doc.document_number,
    ];
    for (const v of values) expect(typeof v === 'string' && v.length >= 4, String(v)).toBe(true);
    expect(doc.personal_number).toBe(card.citizen.idNumber);
    expect(readable({ answer: text })).toContain(card.citizen.idNumber);

    const stored = await db.client.send(
      new GetItemCommand({
        TableName: db.tableName('sandbox'),
        Key: keyAttrs(keys.idem(rp.clientId, key)),
        ConsistentRead: true,
      }),
    );
    expect(stored.Item).toBeDefined();
    const seen = readable(stored.Item as Record<string, unknown>);
    for (const v of values) expect(seen, 'a claim value is readable in the stored record').not.toContain(v);
    // Nor the assertion, nor any part of the answer's JSON.
    expect(seen).not.toContain(answer.assertion.split('.')[1]);
    expect(seen).not.toContain('verified_claims');
    expect(seen).not.toContain('"result"');

    // A retry (same key, same body) is answered from the record: the same bytes, marked as a replay.
    const again = await postVerification(w, rp, card.dump, { request, idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(text);
  });

  it('the same key with another body is still a conflict (the fingerprint is checked before opening)', async () => {
    const card = await makeCard({ profile: 'valid', seed: 'idem-conflict' });
    const key = idemKey();
    const a = await postVerification(w, rp, card.dump, { idempotencyKey: key });
    expect(a.status).toBe(200);
    const b = await postVerification(w, rp, card.dump, { idempotencyKey: key });
    expect(b.status).toBe(409);
    expect(((await b.json()) as { code: string }).code).toBe('ERR_IDEMPOTENCY_CONFLICT');
  });

  it('challenges are sealed too, and still replay', async () => {
    const key = idemKey();
    const post = () =>
      rp
        .bearer('POST', '/v1/challenges')
        .then((authorization) =>
          w.fetch('/v1/challenges', { method: 'POST', headers: { authorization, 'idempotency-key': key } }),
        );
    const first = await post();
    expect(first.status).toBe(201);
    const body = await first.text();
    const again = await post();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(body);
    const stored = await db.client.send(
      new GetItemCommand({
        TableName: db.tableName('sandbox'),
        Key: keyAttrs(keys.idem(rp.clientId, key)),
        ConsistentRead: true,
      }),
    );
    expect(stored.Item?.body).toBeUndefined();
    expect(readable(stored.Item as Record<string, unknown>)).not.toContain(
      (JSON.parse(body) as { id: string }).id,
    );
  });
});
