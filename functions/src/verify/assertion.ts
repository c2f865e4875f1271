/**
 * The identity assertion — a JWT (RFC 7519) signed ES256 with the current key of the client's
 * environment, issued by that environment's issuer (live: SERVICE_URL, sandbox: SERVICE_URL/sandbox;
 * `signing.ts`), header
 * `typ: chipid-assertion+jwt` and `kid`; claims per SERVICE-CONTRACT.md with `verified_claims` as in
 * OpenID Identity Assurance 1.0 (`verification.trust_framework`, `time`, `evidence` of type
 * `document` with one `check_details` entry per check — `vcrypt` for the chip's cryptographic
 * features, `data` for the registry —, `document_details`), and only the claims the intersection of
 * the client's registered scope and the request's scope allows. `age_over_18` is derived from the
 * birth date without disclosing it. `sub` is pairwise: HMAC(PAIRWISE_SECRET, env:clientId:idNumber).
 */
import { CompactSign } from 'jose';
import { type Bindings, type Environment, issuerOf } from '../env.ts';
import { b64url, hmacSha256, randomId } from '../lib/crypto.ts';
import { currentSigner } from '../signing.ts';
import { ageOn, type ChipFacts, isoDate } from './facts.ts';
import type { BirthPrecision } from './registry-check.ts';

export const ASSERTION_TYP = 'chipid-assertion+jwt';
export const ASSERTION_LIFETIME_SECONDS = 300;

/** Pairwise subject (two RPs cannot correlate a citizen). */
export async function pairwiseSub(
  secret: string,
  env: Environment,
  clientId: string,
  idNumber: string,
): Promise<string> {
  return b64url(await hmacSha256(secret, `${env}:${clientId}:${idNumber}`));
}

/** Registered ∩ requested (unknown names drop out). */
export function effectiveScope(registered: readonly string[], requested: readonly string[]): Set<string> {
  const r = new Set(registered);
  return new Set(requested.filter((s) => r.has(s)));
}

/** Claims the scope allows, from the chip's facts. */
export function claimsFor(scope: Set<string>, f: ChipFacts, at: Date): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (scope.has('name')) c.name = f.fullName ?? f.mrzName;
  if (scope.has('family_name') && f.familyName) c.family_name = f.familyName;
  if (scope.has('given_name') && f.givenName) c.given_name = f.givenName;
  const birth = isoDate(f.birthDate);
  if (scope.has('birthdate') && birth) c.birthdate = birth;
  if (scope.has('age_over_18') && f.birthDate) c.age_over_18 = ageOn(f.birthDate, at) >= 18;
  if (scope.has('gender') && f.sex) c.gender = f.sex === 'M' ? 'male' : 'female';
  if (scope.has('nationality') && f.nationality) c.nationality = f.nationality;
  if (scope.has('place_of_origin') && f.placeOfOrigin) c.place_of_origin = { formatted: f.placeOfOrigin };
  if (scope.has('address') && f.placeOfResidence) c.address = { formatted: f.placeOfResidence };
  return c;
}

export interface CheckSummary {
  passive: boolean;
  active: 'passed' | 'failed' | 'absent' | 'unsupported' | 'not_applicable';
  registry: 'passed' | 'failed' | 'skipped';
  birthdatePrecision: BirthPrecision;
}

/**
 * Why a claim the relying party asked for is not in the assertion: its client is not registered for
 * it (`not_registered`), the outcome is not `verified` (`not_verified`: claims go with verified chips
 * only), or the chip does not carry it (`not_on_chip`, e.g. a passport has no DG13 address).
 */
export type WithheldReason = 'not_registered' | 'not_verified' | 'not_on_chip';

/** What the assertion carries, for {@link withheldClaims}: claims, document details, attachments. */
export interface Delivered {
  claims: Record<string, unknown>;
  details: Record<string, unknown>;
  attachments?: readonly { desc?: string }[];
}

/** Each requested name that is not a claim → whether it reached the assertion. */
const DELIVERED: Record<string, (vc: Delivered) => boolean> = {
  document_number: (vc) => vc.details.document_number !== undefined,
  id_number: (vc) => vc.details.personal_number !== undefined,
  portrait: (vc) => (vc.attachments ?? []).some((a) => a.desc === 'portrait'),
};

/**
 * The requested claims the assertion does not carry, each with its {@link WithheldReason} — so an RP
 * asking for `given_name,birthdate,id_number` with a registration for `given_name` hears why two are
 * missing instead of finding them silently absent. Claims registered but not requested are not listed:
 * nobody asked for them.
 */
export function withheldClaims(
  registered: readonly string[],
  requested: readonly string[],
  result: AssertionInput['result'],
  vc: Delivered,
): Record<string, WithheldReason> {
  const r = new Set(registered);
  const out: Record<string, WithheldReason> = {};
  for (const name of new Set(requested)) {
    const delivered = (DELIVERED[name] ?? ((v) => v.claims[name] !== undefined))(vc);
    if (delivered) continue;
    out[name] = !r.has(name) ? 'not_registered' : result !== 'verified' ? 'not_verified' : 'not_on_chip';
  }
  return out;
}

export interface AssertionInput {
  env: Environment;
  clientId: string;
  verificationId: string;
  result: 'verified' | 'rejected' | 'inconclusive';
  reasons: string[];
  at: Date;
  checks: CheckSummary;
  facts?: ChipFacts;
  scope: Set<string>;
  /** The client's registered scope and the request's, to name what was withheld and why. */
  registeredScope?: readonly string[];
  requestedScope?: readonly string[];
  registry?: { expiresOn?: string; issuedOn?: string };
  /** The portrait delivered beside the assertion: its media type and SHA-256 (standard base64). */
  portrait?: { mediaType: string; sha256: string };
}

/** `desc` of the portrait's attachment in the document evidence. */
export const PORTRAIT_ATTACHMENT_DESC = 'portrait';

/** The `verified_claims` object (OIDC4IDA). Claims only for a verified outcome. */
export function verifiedClaims(i: AssertionInput, serviceUrl: string): Record<string, unknown> {
  const time = i.at.toISOString();
  const org = new URL(serviceUrl).host;
  const detail = (check: string, method: string, result: string, extra: Record<string, unknown> = {}) => ({
    check_method: method,
    organization: org,
    txn: i.verificationId,
    time,
    check,
    result,
    ...extra,
  });
  const checkDetails = [
    detail('passive_authentication', 'vcrypt', i.checks.passive ? 'passed' : 'failed'),
    detail('active_authentication', 'vcrypt', i.checks.active),
    detail(
      'registry',
      'data',
      i.checks.registry,
      i.checks.registry === 'skipped' ? {} : { birthdate_precision: i.checks.birthdatePrecision },
    ),
  ];
  const documentDetails: Record<string, unknown> = { type: 'idcard' };
  if (i.facts) {
    documentDetails.issuer = { country_code: i.facts.issuingState };
    // The card's dates are personal data: a CCCD expires on the holder's 25th, 40th or 60th birthday,
    // so with the issue date they give the birth date away — and the same pair sent to every RP would
    // link a person across RPs despite the pairwise `sub`. They go with the document number's scope.
    if (i.result === 'verified' && i.scope.has('document_number')) {
      documentDetails.document_number = i.facts.documentNumber;
      if (i.facts.dateOfExpiry) documentDetails.date_of_expiry = i.facts.dateOfExpiry;
      const issued = i.registry?.issuedOn ?? i.facts.dateOfIssue;
      if (issued) documentDetails.date_of_issuance = issued;
    }
    if (i.result === 'verified' && i.scope.has('id_number') && i.facts.idNumber)
      documentDetails.personal_number = i.facts.idNumber;
  }
  return {
    verification: {
      trust_framework: i.env === 'live' ? 'chipid' : 'chipid_sandbox',
      time,
      verification_process: i.verificationId,
      evidence: [
        {
          type: 'document',
          time,
          check_details: checkDetails,
          document_details: documentDetails,
          // OpenID Attachments 1.0: an external attachment's digest binds the image sent beside the
          // assertion (the response's `portrait`) to it; no `url`, since it travels in the same answer.
          ...(i.portrait && i.result === 'verified'
            ? {
                attachments: [
                  {
                    desc: PORTRAIT_ATTACHMENT_DESC,
                    content_type: i.portrait.mediaType,
                    digest: { alg: 'sha-256', value: i.portrait.sha256 },
                  },
                ],
              }
            : {}),
        },
      ],
    },
    claims: i.result === 'verified' && i.facts ? claimsFor(i.scope, i.facts, i.at) : {},
  };
}

/**
 * Signs the assertion.
 *
 * @example
 * const jwt = await signAssertion(env, input, sub);
 */
export async function signAssertion(
  env: Bindings,
  i: AssertionInput,
  sub: string | undefined,
): Promise<{ jwt: string; withheld: Record<string, WithheldReason> }> {
  const { key, kid } = await currentSigner(env, i.env);
  const iat = Math.floor(i.at.getTime() / 1000);
  const vc = verifiedClaims(i, env.SERVICE_URL);
  const evidence = (
    vc.verification as {
      evidence: { document_details: Record<string, unknown>; attachments?: { desc?: string }[] }[];
    }
  ).evidence;
  const withheld = withheldClaims(i.registeredScope ?? [], i.requestedScope ?? [], i.result, {
    claims: vc.claims as Record<string, unknown>,
    details: evidence[0]?.document_details ?? {},
    attachments: evidence[0]?.attachments ?? [],
  });
  // The claims set built here and signed as a compact JWS: jose's SignJWT would deep-copy it first
  // (structuredClone in its claims builder) for nothing.
  const claims = {
    iss: issuerOf(env, i.env),
    aud: i.clientId,
    ...(sub ? { sub } : {}),
    iat,
    exp: iat + ASSERTION_LIFETIME_SECONDS,
    jti: randomId('asr_'),
    txn: i.verificationId,
    result: i.result,
    reasons: i.reasons,
    env: i.env,
    verified_claims: vc,
    ...(Object.keys(withheld).length ? { withheld_claims: withheld } : {}),
  };
  const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ: ASSERTION_TYP, kid })
    .sign(key);
  return { jwt, withheld };
}
