/**
 * The quickstart against the real service (Worker in workerd + DynamoDB Local, no mocks): a sandbox
 * card is verified and the printed assertion is the verified one.
 */

import { PROFILE_NAMES } from '@chipid/sdk/sandbox';
import { describe, expect, it } from 'vitest';
import { useSandboxService } from '../shared/sandbox-service.ts';
import { matchesExpected, quickstart } from './index.ts';

const svc = useSandboxService();

describe('sandbox quickstart', () => {
  it('verifies a valid sandbox card and returns the verified assertion', async () => {
    const { client, config } = await svc.newClient();
    const { profile, outcome, header } = await quickstart(client, 'valid');
    expect(profile.expected).toEqual({ result: 'verified', reasons: [] });
    expect(outcome.result).toBe('verified');
    expect(outcome.reasons).toEqual([]);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'chipid-assertion+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = outcome.claims;
    expect(claims?.txn).toBe(outcome.id);
    expect(claims?.aud).toBe(config.clientId);
    // A sandbox client's assertion comes from the sandbox issuer (the service URL + /sandbox).
    expect(claims?.iss).toBe(`${svc.worker.serviceUrl}/sandbox`);
    expect(claims?.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims?.verified_claims?.claims.age_over_18).toBe(true);
    expect(typeof claims?.verified_claims?.claims.given_name).toBe('string');
    // The service keeps the outcome under the assertion's txn, for this client.
    const record = await client.getVerification(outcome.id);
    expect(record.result).toBe('verified');
  });

  it('reports a broken profile with the outcome the sandbox documents', async () => {
    const { client } = await svc.newClient();
    const { profile, outcome } = await quickstart(client, 'revoked-card');
    expect(outcome.result).toBe(profile.expected.result);
    expect(outcome.reasons).toEqual(profile.expected.reasons);
    expect(outcome.claims?.result).toBe('rejected');
  });

  it('every sandbox profile gives its documented outcome through the quickstart, reasons included', async () => {
    const { client } = await svc.newClient();
    for (const name of PROFILE_NAMES) {
      const { profile, outcome } = await quickstart(client, name);
      expect({ name, result: outcome.result, reasons: [...outcome.reasons].sort() }).toEqual({
        name,
        result: profile.expected.result,
        reasons: [...profile.expected.reasons].sort(),
      });
      expect(matchesExpected(profile, outcome)).toBe(true);
    }
  });
});
