/**
 * chipid sandbox quickstart — the shortest path to a verified identity assertion:
 * one-time challenge → sandbox card whose virtual chip answers it (ICAO Doc 9303 Part 11 §6.1 Active
 * Authentication) → signed verification request → signed assertion, verified against the JWKS.
 *
 *   npm start                                            # other terminal: the local stack
 *   npx tsx examples/sandbox-quickstart/index.ts [profile]   # e.g. clone, revoked-card
 */
import { fileURLToPath } from 'node:url';
import { type ChipIdClient, createClient, type VerificationOutcome } from '@chipid/sdk';
import { isProfileName, makeCard, type Profile, type ProfileName } from '@chipid/sdk/sandbox';
import { loadConfig } from '../shared/config.ts';

/** What the quickstart did. */
export interface QuickstartResult {
  /** The sandbox profile with the outcome the service should give. */
  profile: Profile;
  /** The service's answer; `claims` is the assertion, already verified (signature, iss, aud, typ, exp). */
  outcome: VerificationOutcome;
  /** The assertion's protected header (`alg`, `typ`, `kid`). */
  header: Record<string, unknown>;
}

/**
 * Verifies one sandbox card end to end.
 *
 * @example
 * const { outcome } = await quickstart(createClient(loadConfig()), 'valid');
 * outcome.result; // 'verified'
 */
export async function quickstart(
  client: ChipIdClient,
  profile: ProfileName = 'valid',
): Promise<QuickstartResult> {
  // 1. A one-time challenge from the service (8 random bytes, ≤ 120 s, single use, bound to your client).
  const challenge = await client.challenge();

  // 2. A complete, correctly signed sandbox chip; its virtual chip signs the challenge. In a real app
  //    this is the NFC read (BAC/PACE, read EF.COM, SOD, DG1, DG2, DG13-15, INTERNAL AUTHENTICATE).
  const card = await makeCard({ profile, challenge: challenge.challenge });

  // 3. Submit: the SDK computes chip_digest, signs the request JWS with your key, sends it (with an
  //    Idempotency-Key, retrying safely) and verifies the returned assertion against the service JWKS.
  const outcome = await client.verify(card.dump, {
    scope: ['given_name', 'family_name', 'birthdate', 'age_over_18'],
    purpose: 'sandbox quickstart',
    challenge,
  });
  const [h = ''] = outcome.assertion.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { profile: card.profile, outcome, header };
}

/** The service gave the profile's documented outcome: its result and the same reasons (in any order). */
export function matchesExpected(profile: Profile, outcome: VerificationOutcome): boolean {
  const sorted = (r: readonly string[]) => JSON.stringify([...r].sort());
  return (
    outcome.result === profile.expected.result && sorted(outcome.reasons) === sorted(profile.expected.reasons)
  );
}

async function main(argv: string[]): Promise<number> {
  const profile = argv[0] ?? 'valid';
  if (!isProfileName(profile)) {
    console.error(`unknown profile ${profile} (see: npx chipid sandbox profiles)`);
    return 2;
  }
  const config = loadConfig();
  const client = createClient(config);
  const { profile: p, outcome, header } = await quickstart(client, profile);
  console.log(`profile   ${p.name}: ${p.description}`);
  console.log(`expected  ${p.expected.result} ${JSON.stringify(p.expected.reasons)}`);
  console.log(`result    ${outcome.result} ${JSON.stringify(outcome.reasons)}`);
  console.log(`txn       ${outcome.id}`);
  console.log('assertion (signature verified with the service JWKS):');
  console.log(JSON.stringify({ header, claims: outcome.claims }, null, 2));
  return matchesExpected(p, outcome) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      const hint = e.code === 'ERR_NETWORK' ? ' — is the service running? (npm start)' : '';
      console.error(`quickstart failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}${hint}`);
      process.exitCode = 1;
    },
  );
}
