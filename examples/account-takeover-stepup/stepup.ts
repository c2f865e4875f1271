/**
 * Account-takeover step-up — a payment app re-proves, on a new device or before a large transfer, that
 * the user holds the same genuine card they onboarded with:
 *
 * - a fresh one-time challenge, answered by the chip itself (Active Authentication, ICAO Doc 9303
 *   Part 11 §6.1): a copy of the chip data cannot answer, because the private key never leaves the chip;
 * - the assertion's pairwise `sub` must equal the one stored at onboarding (same person, this RP).
 *
 * Outcomes: `allowed`; `different_card` (a valid card, but another person's); `clone_suspected` (the
 * data is genuine but the chip failed the clone check: `inconclusive` with `aa_failed`); `rejected`
 * (anything else: forged, revoked, no clone check possible, no onboarding record…).
 */
import type { ChipDumpJSON, ChipIdClient } from '@chipid/sdk';

/** Step-up outcome. */
export type StepUpOutcome = 'allowed' | 'different_card' | 'clone_suspected' | 'rejected';

/** Why the step-up was asked. */
export type StepUpTrigger = 'new_device' | 'large_transfer';

/** Decision with what the payment app may log (no personal data). */
export interface StepUpDecision {
  outcome: StepUpOutcome;
  /** chipid verification id (audit reference); absent when chipid was not reached. */
  txn?: string;
  /** chipid reason codes, or `not_onboarded`. */
  reasons: string[];
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

/** Looks up the `sub` stored at onboarding for a user of the payment app. */
export type SubjectLookup = (userId: string) => Promise<string | undefined>;

/**
 * Runs one step-up: the caller got `challenge` from `client.challenge()` and the chip answered it.
 *
 * @example
 * const ch = await client.challenge();
 * // … the app has the chip sign ch.challenge …
 * const d = await stepUp({ client, lookup }, 'user-1', dump, ch, 'large_transfer');
 */
export async function stepUp(
  deps: { client: ChipIdClient; lookup: SubjectLookup },
  userId: string,
  chip: ChipDumpJSON,
  challenge: { id: string; challenge: Uint8Array },
  trigger: StepUpTrigger,
): Promise<StepUpDecision> {
  const expected = await deps.lookup(userId);
  if (expected === undefined) return { outcome: 'rejected', reasons: ['not_onboarded'] };
  const outcome = await deps.client.verify(chip, {
    // No identity claims needed: the pairwise sub is the identity check.
    scope: [],
    purpose: trigger === 'new_device' ? 'step-up: new device' : 'step-up: large transfer',
    // With the chip's answer the SDK first checks it signed OUR challenge; a chip without Active
    // Authentication has no answer: the service then says so (signed), and `decide` rejects it.
    challenge: chip.aa ? challenge : { id: challenge.id },
  });
  const claims = await deps.client.verifyAssertion(outcome.assertion);
  return { outcome: decide(claims, expected), txn: claims.txn, reasons: claims.reasons };
}
