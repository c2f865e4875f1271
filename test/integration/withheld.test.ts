/**
 * Withheld claims (issue 21): a requested claim that the assertion does not carry is named, with why,
 * in the answer (`withheld`) and in the signed assertion (`withheld_claims`) — never silently absent.
 * Real service: the Worker in workerd on DynamoDB Local.
 */
import { makeCard } from '@chipid/sdk/sandbox';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { useSandboxService } from '../../examples/shared/sandbox-service.ts';

const svc = useSandboxService();

describe('withheld claims', () => {
  it('names requested claims the client is not registered for; gives the rest', async () => {
    const { client } = await svc.newClient(['given_name', 'family_name', 'age_over_18']);
    const challenge = await client.challenge();
    const { dump } = await makeCard({ profile: 'valid', seed: 3, challenge: challenge.challenge });
    const out = await client.verify(dump, {
      scope: ['given_name', 'birthdate', 'id_number'],
      purpose: 'withheld claims test',
      challenge,
    });
    expect(out.result).toBe('verified');
    expect(Object.keys(out.claims?.verified_claims?.claims ?? {})).toEqual(['given_name']);
    expect(out.withheld).toEqual({ birthdate: 'not_registered', id_number: 'not_registered' });
    // The signed assertion says the same (the client checked it; read it here too).
    expect(decodeJwt(out.assertion).withheld_claims).toEqual(out.withheld);
  });

  it('a result other than verified withholds every requested claim as not_verified', async () => {
    const { client } = await svc.newClient(['given_name', 'family_name']);
    const challenge = await client.challenge();
    const { dump } = await makeCard({ profile: 'revoked-card', challenge: challenge.challenge });
    const out = await client.verify(dump, {
      scope: ['given_name', 'birthdate'],
      purpose: 'withheld',
      challenge,
    });
    expect(out.result).toBe('rejected');
    expect(out.withheld).toEqual({ given_name: 'not_verified', birthdate: 'not_registered' });
  });

  it('a delivered portrait (an attachment, not a claim) is not withheld; an unregistered one is', async () => {
    const { client } = await svc.newClient(['given_name', 'portrait']);
    let challenge = await client.challenge();
    let { dump } = await makeCard({ profile: 'valid', seed: 5, challenge: challenge.challenge });
    const out = await client.verify(dump, {
      scope: ['given_name', 'portrait'],
      purpose: 'withheld',
      challenge,
    });
    expect(out.result).toBe('verified');
    expect(out.portrait?.mediaType).toBe('image/jpeg');
    expect(out.withheld).toBeUndefined();
    const other = (await svc.newClient(['given_name'])).client;
    challenge = await other.challenge();
    ({ dump } = await makeCard({ profile: 'valid', seed: 5, challenge: challenge.challenge }));
    const refused = await other.verify(dump, { scope: ['portrait'], purpose: 'withheld', challenge });
    expect(refused.portrait).toBeUndefined();
    expect(refused.withheld).toEqual({ portrait: 'not_registered' });
  });

  it('nothing withheld: no member at all', async () => {
    const { client } = await svc.newClient(['given_name']);
    const challenge = await client.challenge();
    const { dump } = await makeCard({ profile: 'valid', seed: 4, challenge: challenge.challenge });
    const out = await client.verify(dump, { scope: ['given_name'], purpose: 'withheld', challenge });
    expect(out.result).toBe('verified');
    expect(out.withheld).toBeUndefined();
    expect(decodeJwt(out.assertion)).not.toHaveProperty('withheld_claims');
  });
});
