/**
 * One verification, checks 1–5 of DESIGN.md in order:
 * (1) the RP request (token verified by the middleware; here `chip_digest`, `purpose`, `scope`,
 * `challenge_id`), (2) passive authentication against the environment's trust store (the DS chain
 * before the SOD signature; keys over the size limits refused while parsing), (3) Active
 * Authentication over the service's one-time challenge, run only when (2) authenticated the DG15 key
 * (clone detection, reported apart: a genuine chip that fails it is `inconclusive`), (4) the registry — consulted only for chips that passed
 * passive authentication, so forged data can't probe it —, (5) the audit append, in the same
 * transaction as the outcome and everything the request consumes. The answer (and its signed
 * assertion) leaves only after that transaction succeeded.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import {
  type ChipDump,
  type ChipDumpJSON,
  chipDigest,
  createTrustStore,
  type DigestMemo,
  decodeDump,
  LDSError,
  parseCertificate,
  parseCRL,
  type ReasonCode,
  type TrustStore,
  verifyChip,
} from '@chipid/sdk';
import type { RpAuth } from '../app-env.ts';
import { type Bindings, ConfigError, intBinding } from '../env.ts';
import { fromB64, hex, randomId, sha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import { getItems, type Item, keyId } from '../store/db.ts';
import { AUDIT_LANES, type Key, keys, MAX_AUDIT_LANES } from '../store/keys.ts';
import { type ChallengeRecord, challengeConsume, challengeRecord } from '../store/requests.ts';
import {
  DEFAULT_TRUST_RECHECK_SECONDS,
  loadTrust,
  type TrustAnchors,
  trustCheckDue,
} from '../store/trust.ts';
import {
  type AuditFacts,
  type CheckOutcome,
  firstAuditHead,
  type VerificationRecord,
} from '../store/verifications.ts';
import { schemaMismatch } from '../validation.ts';
import {
  type CheckSummary,
  effectiveScope,
  pairwiseSub,
  signAssertion,
  type WithheldReason,
} from './assertion.ts';
import { type ChipFacts, chipFacts } from './facts.ts';
import type { ChipParts } from './parts.ts';
import { type PortraitOut, portraitOf } from './portrait.ts';
import { checkRegistry, type RegistryOutcome, registryFor, registryKeys } from './registry-check.ts';

/** Reasons that only concern the clone check: alone they make a verification `inconclusive`. */
export const CLONE_CHECK_REASONS: ReadonlySet<ReasonCode> = new Set([
  'aa_failed',
  'aa_key_weak',
  'aa_not_supported',
  'aa_not_performed',
  'challenge_invalid',
]);

const trustStores = new WeakMap<TrustAnchors, TrustStore>();

/** Parsed trust store for the anchors (once per isolate and trust version; bad items skipped). */
export function trustStoreFor(a: TrustAnchors): TrustStore {
  let t = trustStores.get(a);
  if (!t) {
    const cscas = a.cscas.flatMap((der) => {
      try {
        return [parseCertificate(der)];
      } catch {
        return [];
      }
    });
    const crls = a.crls.filter((der) => {
      try {
        parseCRL(der);
        return true;
      } catch {
        return false;
      }
    });
    t = createTrustStore({ cscas, crls });
    trustStores.set(a, t);
  }
  return t;
}

/**
 * How stale this isolate's trust store may be (`TRUST_RECHECK_SECONDS`, whole seconds ≥ 0; 0 checks
 * the version on every verification).
 */
export function trustRecheckSeconds(env: Bindings): number {
  const v = env.TRUST_RECHECK_SECONDS;
  const n = v === undefined || v === '' ? Number.NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_TRUST_RECHECK_SECONDS;
}

/** Audit lanes per client (`AUDIT_LANES`, 2 … MAX_AUDIT_LANES; default AUDIT_LANES). */
export function auditLanes(env: Bindings): number {
  const n = intBinding(env.AUDIT_LANES, AUDIT_LANES);
  return Math.max(2, Math.min(MAX_AUDIT_LANES, n));
}

/** Request claims specific to verifications. */
interface RequestClaims {
  purpose: string;
  scope: string[];
  chipDigest: string;
  challengeId?: string;
}

function requestClaims(claims: Record<string, unknown>): RequestClaims {
  const errors: { pointer: string; detail: string }[] = [];
  const { purpose, scope, chip_digest, challenge_id } = claims;
  if (typeof purpose !== 'string' || purpose.length === 0 || purpose.length > 200) {
    errors.push({ pointer: '/request', detail: 'claim purpose: a string of 1–200 characters' });
  }
  if (
    !Array.isArray(scope) ||
    scope.length > 32 ||
    !scope.every((s) => typeof s === 'string' && s.length <= 64)
  ) {
    errors.push({ pointer: '/request', detail: 'claim scope: an array of claim names' });
  }
  if (typeof chip_digest !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(chip_digest)) {
    errors.push({ pointer: '/request', detail: 'claim chip_digest: base64url SHA-256' });
  }
  if (
    challenge_id !== undefined &&
    (typeof challenge_id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(challenge_id))
  ) {
    errors.push({ pointer: '/request', detail: 'claim challenge_id: a challenge id' });
  }
  if (errors.length)
    throw new ApiError('ERR_REQUEST_INVALID', 'the signed request is missing required claims', { errors });
  const out: RequestClaims = {
    purpose: purpose as string,
    scope: scope as string[],
    chipDigest: chip_digest as string,
  };
  if (typeof challenge_id === 'string') out.challengeId = challenge_id;
  return out;
}

/** The JSON body's dump, decoded (its base64 checked in that pass), and its `chip_digest` checked. */
async function checkJsonDump(
  chip: ChipDumpJSON,
  rc: RequestClaims,
): Promise<{ dump: ChipDump; digests?: DigestMemo }> {
  let dump: ChipDump;
  try {
    // The route's schema checked the dump's structure; its members' base64 is checked here, in the
    // one pass that decodes them.
    dump = decodeDump(chip);
  } catch (err) {
    const member = err instanceof LDSError ? err.member : undefined;
    throw schemaMismatch([
      member
        ? { pointer: `/chip/${member.replace('.', '/')}`, detail: 'body: must be standard base64' }
        : { pointer: '/chip', detail: 'body: not a chipid.dump/1 dump' },
    ]);
  }
  if ((await chipDigest(chip, { decoded: true })) !== rc.chipDigest) {
    throw new ApiError('ERR_REQUEST_INVALID', 'chip_digest does not match the chip dump', {
      errors: [{ pointer: '/chip', detail: 'chip_digest must be base64url SHA-256 of the canonical dump' }],
    });
  }
  return { dump };
}

/** The multipart body's dump (read and hashed by `requestAuth`), its `chip_digest` checked. */
function checkParts(parts: ChipParts, rc: RequestClaims): { dump: ChipDump; digests: DigestMemo } {
  if (parts.digest !== rc.chipDigest) {
    throw new ApiError('ERR_REQUEST_INVALID', 'chip_digest does not match the chip dump', {
      errors: [
        {
          pointer: '/request',
          detail:
            'a multipart body: chip_digest must be chipPartsDigest of the parts (sign with transport multipart)',
        },
      ],
    });
  }
  return { dump: parts.dump, digests: parts.digests };
}

function usable(ch: ChallengeRecord | undefined, clientId: string, now: number): ch is ChallengeRecord {
  return !!ch && ch.clientId === clientId && !ch.used && ch.expiresAt > now;
}

export interface PreparedVerification {
  response: {
    id: string;
    result: VerificationRecord['result'];
    reasons: string[];
    assertion: string;
    /** Requested claims left out of the assertion, and why (its `withheld_claims`). */
    withheld?: Record<string, WithheldReason>;
  };
  /** The face as JPEG (scope `portrait`, `verified` only): sent beside `response`, never stored. */
  portrait?: PortraitOut;
  record: VerificationRecord;
  audit: AuditFacts;
  /** Items the request consumes, in order: jti put is added by the caller; challenge consumption here. */
  consume: TransactWriteItem[];
  challengeUsed: boolean;
  /** The audit head the commit starts on, read with the other items (pass to `commitVerification`). */
  readAhead: { head: Item | undefined };
  /** The audit lane count the head was chosen among (pass to `commitVerification`). */
  lanes: number;
}

/**
 * Runs checks 1–4 and signs the assertion; the caller commits (check 5) before answering.
 * `decided`, when given, settles with the client as it is now (`requestAuth`): `requested` (the client
 * the token verified on) names what to read, the decided auth everything after the read.
 *
 * @throws ApiError for request-level failures (400 digest/claims, 503 store), or what `decided` throws
 */
export async function prepareVerification(
  env: Bindings,
  requested: RpAuth,
  body: { chip: ChipDumpJSON } | { parts: ChipParts },
  now = new Date(),
  decided?: Promise<RpAuth>,
): Promise<PreparedVerification> {
  let auth = requested;
  // (1) the request.
  const rc = requestClaims(auth.claims);
  const { dump, digests } = 'parts' in body ? checkParts(body.parts, rc) : await checkJsonDump(body.chip, rc);
  const registrySecret = env.REGISTRY_HMAC_KEY;
  const pairwiseSecret = env.PAIRWISE_SECRET;
  if (!registrySecret || !pairwiseSecret)
    throw new ConfigError('missing REGISTRY_HMAC_KEY or PAIRWISE_SECRET');

  const id = randomId('ver_');
  const nowMs = now.getTime();
  // The holder's facts as the chip states them, not yet authenticated: they only name the registry
  // items to read. `facts` below is set from them once passive authentication has passed.
  let stated: ChipFacts | undefined;
  try {
    stated = chipFacts(dump.dg1, dump.dg13, now);
  } catch {
    stated = undefined;
  }
  // Everything the checks read from the store, in one round trip: the trust-store version (when due), the
  // challenge, the registry's card and citizen, and the audit head the commit starts on.
  const regKeys = stated ? await registryKeys(registrySecret, stated) : undefined;
  const lanes = auditLanes(env);
  const headKey = firstAuditHead(auth.clientId, id, lanes);
  // The trust-store version only when this isolate's copy is older than the recheck bound: one item
  // for the whole environment, it would be the service's hottest key if every verification read it.
  const trustMaxAgeMs = trustRecheckSeconds(env) * 1000;
  const checkTrust = trustCheckDue(auth.store.table, trustMaxAgeMs);
  const readAt = Date.now();
  const wanted = [
    ...(checkTrust ? [keys.trustMeta()] : []),
    ...(rc.challengeId ? [keys.challenge(rc.challengeId)] : []),
    ...(regKeys?.first ?? []),
    headKey,
  ];
  // With `decided` (the request's count and the client as it is now, in flight since authentication),
  // both round trips run at once; nothing below runs for a client that is refused.
  const [items, decidedAuth] = await Promise.all([getItems(auth.store, wanted), decided]);
  if (decidedAuth) auth = decidedAuth;
  const metaItem = checkTrust ? { item: items[0], at: readAt } : undefined;
  const challengeItem = rc.challengeId ? items[checkTrust ? 1 : 0] : undefined;
  const readAhead = { head: items[items.length - 1] };
  let challenge: ChallengeRecord | undefined;
  if (rc.challengeId) {
    const ch = challengeRecord(rc.challengeId, challengeItem);
    if (usable(ch, auth.clientId, nowMs)) challenge = ch;
  }
  const expected = challenge ? fromB64(challenge.challenge) : undefined;

  // (2) + (3) the chip.
  const trust = trustStoreFor(await loadTrust(auth.store, metaItem, trustMaxAgeMs));
  const report = await verifyChip(dump, {
    trust,
    at: now,
    // Live cards are checked against a current CRL of their CSCA; the sandbox PKI publishes none.
    revocation: auth.env === 'live' ? 'required' : 'if-available',
    ...(expected ? { expectedChallenge: expected } : {}),
    ...(digests ? { digests } : {}),
  });
  // An unknown revocation status (live: no current CRL of the CSCA) is no evidence against the chip,
  // but not a clean pass either: `inconclusive`, with everything else checked.
  const unknownRevocation = report.checks.some((c) => c.code === 'crl_unavailable');
  const passiveChecks = report.checks.filter(
    (c) => !c.name.startsWith('aa.') && c.code !== 'crl_unavailable',
  );
  const hard: ReasonCode[] = [];
  for (const c of passiveChecks) if (!c.ok && c.code && !hard.includes(c.code)) hard.push(c.code);
  if (passiveChecks.some((c) => !c.ok) && hard.length === 0) hard.push('sod_invalid');
  const passiveOk = hard.length === 0;

  const facts = passiveOk ? stated : undefined;
  if (passiveOk && !facts) hard.push('dg_malformed');

  const soft: ReasonCode[] = unknownRevocation ? ['crl_unavailable'] : [];
  let active: CheckSummary['active'];
  if (report.activeAuth === 'skipped') {
    // Passive authentication failed: the DG15 key is not authenticated and AA was not run (the
    // verdict is `rejected` on the passive reasons alone).
    active = 'not_applicable';
  } else if (report.activeAuth === 'unsupported') {
    active = 'unsupported';
    soft.push('aa_not_supported');
  } else if (report.activeAuth === 'absent') {
    active = 'absent';
    soft.push('aa_not_performed');
  } else if (!expected) {
    // An answer to a challenge the service did not issue (or one unknown, expired, used, foreign)
    // proves nothing: it could be replayed from another session.
    active = 'failed';
    soft.push('challenge_invalid');
  } else if (report.activeAuth === 'passed') {
    active = 'passed';
  } else {
    active = 'failed';
    const code = report.checks.find((c) => c.name === 'aa.signature')?.code;
    // A DG15 key too weak to prove anything, or one refused unread (over the size limits, unknown
    // curve): no clone evidence given, with its own reason — `inconclusive`, like a failed answer.
    soft.push(
      code === 'challenge_invalid' || code === 'aa_key_weak' || code === 'algorithm_unsupported'
        ? code
        : 'aa_failed',
    );
  }
  if (rc.challengeId && !challenge && !soft.includes('challenge_invalid') && active !== 'unsupported') {
    soft.push('challenge_invalid');
  }

  // (4) the registry: its first items came with the read above; a further one (the citizen, for a
  // chip without the id number) is read when needed.
  let registry: RegistryOutcome | undefined;
  if (passiveOk && facts && regKeys) {
    const known = new Map(wanted.map((k, i) => [keyId(k.pk, k.sk), items[i]]));
    const read = (ks: Key[]) =>
      ks.every((k) => known.has(keyId(k.pk, k.sk)))
        ? Promise.resolve(ks.map((k) => known.get(keyId(k.pk, k.sk))))
        : getItems(auth.store, ks);
    registry = await checkRegistry(registryFor(env, auth.store, read), regKeys, facts, now);
    for (const r of registry.reasons) if (!hard.includes(r)) hard.push(r);
  }

  const result: VerificationRecord['result'] =
    hard.length > 0 ? 'rejected' : soft.length > 0 ? 'inconclusive' : 'verified';
  // Once passive authentication fails nothing on the chip is trusted, its DG15 included: the clone
  // check's reasons would describe forged data, so a rejected chip carries its passive reasons only.
  const reasons = passiveOk ? [...hard, ...soft] : hard;
  const summary: CheckSummary = {
    passive: passiveOk,
    active: active,
    registry: registry ? (registry.reasons.length === 0 ? 'passed' : 'failed') : 'skipped',
    birthdatePrecision: registry?.birthdatePrecision ?? 'none',
  };
  const checks: CheckOutcome[] = report.checks.map((c) => {
    const o: CheckOutcome = { name: c.name, ok: c.ok };
    if (c.code) o.reasons = [c.code];
    if (c.detail) o.detail = c.detail;
    return o;
  });
  checks.push({
    name: 'aa.challenge',
    ok: !!expected || !rc.challengeId,
    ...(rc.challengeId && !expected ? { reasons: ['challenge_invalid'] } : {}),
  });
  if (registry) {
    const o: CheckOutcome = { name: 'registry', ok: registry.reasons.length === 0 };
    if (registry.reasons.length) o.reasons = registry.reasons;
    const notes = registry.note ? [registry.note] : [`birthdate precision: ${registry.birthdatePrecision}`];
    if (registry.mismatched.length) notes.push(`mismatched fields: ${registry.mismatched.join(', ')}`);
    o.detail = notes.join('; ');
    checks.push(o);
  } else {
    checks.push({
      name: 'registry',
      ok: false,
      detail: 'not consulted: the chip did not pass passive authentication',
    });
  }

  const scope = effectiveScope(auth.client.scope, rc.scope);
  // The face goes to a verified chip's RP only, and only when DG2 itself passed passive authentication.
  const face =
    result === 'verified' && scope.has('portrait') ? await portraitOf(dump.dg2, report.checks) : undefined;
  if (face) checks.push(face.check);
  const sub =
    passiveOk && facts?.idNumber
      ? await pairwiseSub(pairwiseSecret, auth.env, auth.clientId, facts.idNumber)
      : undefined;
  const { jwt: assertion, withheld } = await signAssertion(
    env,
    {
      env: auth.env,
      clientId: auth.clientId,
      verificationId: id,
      result,
      reasons,
      at: now,
      checks: summary,
      ...(facts ? { facts } : {}),
      scope,
      registeredScope: auth.client.scope,
      requestedScope: rc.scope,
      ...(registry ? { registry } : {}),
      ...(face?.portrait ? { portrait: face.portrait } : {}),
    },
    sub,
  );
  const time = now.toISOString();
  return {
    response: { id, result, reasons, assertion, ...(Object.keys(withheld).length ? { withheld } : {}) },
    ...(face?.portrait ? { portrait: face.portrait } : {}),
    record: { id, clientId: auth.clientId, result, reasons, checks, createdAt: time },
    audit: {
      verificationId: id,
      time,
      result,
      reasons,
      chipDigest: rc.chipDigest,
      ...('parts' in body ? { chipDigestOf: 'parts' as const } : {}),
      requestDigest: hex(await sha256(auth.token)),
      assertionDigest: hex(await sha256(assertion)),
    },
    consume: challenge ? [challengeConsume(auth.store, challenge.id, auth.clientId, nowMs)] : [],
    challengeUsed: !!challenge,
    readAhead,
    lanes,
  };
}
