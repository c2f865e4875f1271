/**
 * Account-takeover step-up — a payment app re-proves, on a new device or before a large transfer, that
 * the user holds the same genuine card they onboarded with:
 *
 * - a fresh one-time challenge, answered by the chip itself (Active Authentication, ICAO Doc 9303
 *   Part 11 §6.1): a copy of the chip data cannot answer, because the private key never leaves the chip;
 * - the assertion's pairwise `sub` must equal the one stored at onboarding (same person, this RP).
 *
 * - under SBV Decision 2345/QĐ-NHNN (a new device, a transfer above 10 million VND, a day above 20
 *   million VND), the chip's face — delivered by chipid with the `portrait` scope and checked against
 *   the signed assertion — is compared with a selfie by the bank's face-match vendor (`face-match.ts`).
 *
 * Outcomes: `allowed`; `different_card` (a valid card, but another person's); `clone_suspected` (the
 * data is genuine but the chip failed the clone check: `inconclusive` with `aa_failed`); `rejected`
 * (anything else: forged, revoked, no clone check possible, no onboarding record…); with a face match,
 * `face_mismatch` (the vendor says the selfie is not the card's face) and `face_match_unavailable` (no
 * decision: the vendor failed or timed out, or no portrait came — block, never pass silently).
 */
import type { ChipDumpJSON, ChipIdClient } from '@chipid/sdk';
import {
  type FaceImage,
  type FaceMatcher,
  type FaceMatchOutcome,
  faceMatchRequired,
  runFaceMatch,
  type StepUpContext,
} from './face-match.ts';

/** Step-up outcome. */
export type StepUpOutcome =
  | 'allowed'
  | 'different_card'
  | 'clone_suspected'
  | 'rejected'
  | 'face_mismatch'
  | 'face_match_unavailable';

/** Why the step-up was asked. */
export type StepUpTrigger = 'new_device' | 'large_transfer';

/** Decision with what the payment app may log (no personal data). */
export interface StepUpDecision {
  outcome: StepUpOutcome;
  /** chipid verification id (audit reference); absent when chipid was not reached. */
  txn?: string;
  /** chipid reason codes, or the example's own `not_onboarded`, `selfie_required`, `portrait_unavailable`. */
  reasons: string[];
  /** The face-match step: `not_required`, or its outcome when it ran. */
  faceMatch?: FaceMatchOutcome | 'not_required';
  /** The vendor's reference of the comparison, when it gave one. */
  faceMatchReference?: string;
}

/**
 * The decision rule, on the verified assertion's `result`, `reasons` and `sub`.
 *
 * @example
 * decide({ result: 'verified', reasons: [], sub: 'abc' }, 'abc'); // 'allowed'
 */
export function decide(
  a: {
    result: 'verified' | 'rejected' | 'inconclusive';
    reasons: readonly string[];
    sub?: string | undefined;
  },
  expectedSub: string,
): StepUpOutcome {
  if (a.result === 'verified')
    return a.sub !== undefined && a.sub === expectedSub ? 'allowed' : 'different_card';
  if (a.result === 'inconclusive' && a.reasons.includes('aa_failed')) return 'clone_suspected';
  // `aa_not_supported` / `aa_not_performed` / `challenge_invalid` are inconclusive too, but a step-up
  // exists to prove possession: without a passed chip check there is nothing to allow.
  return 'rejected';
}

/**
 * The step-up's outcome once the chip check (`decide`) and the face match are known: only a chip check
 * that allowed goes on to the face; `undefined` face = no portrait to compare.
 *
 * @example
 * withFaceMatch('allowed', 'no_match'); // 'face_mismatch'
 */
export function withFaceMatch(chip: StepUpOutcome, face: FaceMatchOutcome | undefined): StepUpOutcome {
  if (chip !== 'allowed') return chip;
  if (face === 'match') return 'allowed';
  if (face === 'no_match') return 'face_mismatch';
  return 'face_match_unavailable';
}

/** Looks up the `sub` stored at onboarding for a user of the payment app. */
export type SubjectLookup = (userId: string) => Promise<string | undefined>;

/**
 * Runs one step-up: the caller got `challenge` from `client.challenge()` and the chip answered it. When
 * `context` calls for a face match (Decision 2345), `selfie` is required and `matcher` compares it with
 * the chip's portrait.
 *
 * @example
 * const ch = await client.challenge();
 * // … the app has the chip sign ch.challenge and takes a selfie …
 * const d = await stepUp({ client, lookup, matcher }, 'user-1', dump, ch,
 *   { trigger: 'large_transfer', amountVnd: 15_000_000 }, selfie);
 */
export async function stepUp(
  deps: { client: ChipIdClient; lookup: SubjectLookup; matcher?: FaceMatcher; faceMatchTimeoutMs?: number },
  userId: string,
  chip: ChipDumpJSON,
  challenge: { id: string; challenge: Uint8Array },
  context: StepUpTrigger | StepUpContext,
  selfie?: FaceImage,
): Promise<StepUpDecision> {
  const ctx: StepUpContext = typeof context === 'string' ? { trigger: context } : context;
  const expected = await deps.lookup(userId);
  if (expected === undefined) return { outcome: 'rejected', reasons: ['not_onboarded'] };
  const face = faceMatchRequired(ctx);
  if (face && (!selfie || !deps.matcher)) return { outcome: 'rejected', reasons: ['selfie_required'] };
  const outcome = await deps.client.verify(chip, {
    // No identity claims needed: the pairwise sub is the identity check; the face when 2345 asks for it.
    scope: face ? ['portrait'] : [],
    purpose: ctx.trigger === 'new_device' ? 'step-up: new device' : 'step-up: large transfer',
    // With the chip's answer the SDK first checks it signed OUR challenge; a chip without Active
    // Authentication has no answer: the service then says so (signed), and `decide` rejects it.
    challenge: chip.aa ? challenge : { id: challenge.id },
  });
  // `verify` checked the assertion (and the portrait against its digest); read the claims it returned.
  const claims = outcome.claims ?? (await deps.client.verifyAssertion(outcome.assertion));
  const chipOutcome = decide(claims, expected);
  const base = { txn: claims.txn, reasons: claims.reasons };
  if (!face) return { outcome: chipOutcome, ...base, faceMatch: 'not_required' };
  if (chipOutcome !== 'allowed') return { outcome: chipOutcome, ...base };
  if (!outcome.portrait) {
    // Verified, but no face came (the client is not registered for `portrait`, or it did not convert).
    return { outcome: 'face_match_unavailable', txn: claims.txn, reasons: ['portrait_unavailable'] };
  }
  const m = await runFaceMatch(
    deps.matcher as FaceMatcher,
    outcome.portrait,
    selfie as FaceImage,
    deps.faceMatchTimeoutMs,
  );
  return {
    outcome: withFaceMatch(chipOutcome, m.outcome),
    ...base,
    faceMatch: m.outcome,
    ...(m.result?.reference ? { faceMatchReference: m.result.reference } : {}),
  };
}
