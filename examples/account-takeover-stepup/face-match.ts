/**
 * Face match for the SBV Decision 2345/QĐ-NHNN step-up (in force since 2024-07-01): before an online
 * transfer above 10 million VND, once a day's transfers pass 20 million VND, and on a new device, a
 * bank compares the customer's live face with the face stored on the chip of their ID card. chipid
 * proves the chip genuine and hands over its face (scope `portrait`); the comparison with the selfie
 * is the RP's face-match vendor's job, behind {@link FaceMatcher}.
 *
 * Check the rules against the Decision's current text and your bank's own policy before relying on
 * the thresholds below.
 */

/** Per-transaction amount above which a face match is required (VND). */
export const SBV_2345_TRANSFER_THRESHOLD_VND = 10_000_000;
/** Daily cumulative transfers above which a face match is required (VND). */
export const SBV_2345_DAILY_THRESHOLD_VND = 20_000_000;

/** What the step-up is about. */
export interface StepUpContext {
  trigger: 'new_device' | 'large_transfer';
  /** The transfer's amount (VND), for `large_transfer`. */
  amountVnd?: number;
  /** The customer's transfers today before this one (VND). */
  dailyTotalVnd?: number;
}

/**
 * Whether Decision 2345 asks for a face match: a new device, a transfer above 10 million VND, or a day's
 * total above 20 million VND with this transfer.
 *
 * @example
 * faceMatchRequired({ trigger: 'large_transfer', amountVnd: 12_000_000 }); // true
 */
export function faceMatchRequired(ctx: StepUpContext): boolean {
  if (ctx.trigger === 'new_device') return true;
  const amount = ctx.amountVnd ?? 0;
  return (
    amount > SBV_2345_TRANSFER_THRESHOLD_VND ||
    (ctx.dailyTotalVnd ?? 0) + amount > SBV_2345_DAILY_THRESHOLD_VND
  );
}

/** An image handed to the matcher. */
export interface FaceImage {
  mediaType: string;
  bytes: Uint8Array;
}

/** The matcher's answer. */
export interface FaceMatchResult {
  /** The vendor's decision at the threshold the bank configured with it. */
  match: boolean;
  /** The vendor's similarity score, when it gives one (for the audit; not interpreted here). */
  score?: number;
  /** The vendor's reference of this comparison (for disputes). */
  reference?: string;
}

/**
 * The contract a face-match vendor's adapter fulfils.
 *
 * - `portrait` is the chip's face as chipid delivered it: JPEG, checked by the SDK against the signed
 *   assertion (its SHA-256 is in it), so it is the face the state put on the card.
 * - `selfie` is what the bank's app captured; liveness (presentation-attack detection) is the vendor's
 *   and the app's responsibility, not chipid's.
 * - Resolve with the decision; reject (throw) when the vendor could not decide — network, quota,
 *   unusable image: the step-up then blocks the operation with `face_match_unavailable` (no silent pass).
 * - Neither image may be kept by the adapter beyond the call unless the bank's retention rules say so;
 *   never log them.
 */
export interface FaceMatcher {
  compare(input: { portrait: FaceImage; selfie: FaceImage; signal: AbortSignal }): Promise<FaceMatchResult>;
}

/** The face-match step's outcome. */
export type FaceMatchOutcome = 'match' | 'no_match' | 'vendor_error';

/**
 * Runs the matcher with a deadline; a thrown error or a timeout is `vendor_error`.
 *
 * @example
 * const r = await runFaceMatch(matcher, portrait, selfie, 10_000);
 */
export async function runFaceMatch(
  matcher: FaceMatcher,
  portrait: FaceImage,
  selfie: FaceImage,
  timeoutMs = 10_000,
): Promise<{ outcome: FaceMatchOutcome; result?: FaceMatchResult }> {
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctrl.abort();
      reject(new Error('face match: vendor timed out'));
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([matcher.compare({ portrait, selfie, signal: ctrl.signal }), deadline]);
    if (typeof result?.match !== 'boolean') return { outcome: 'vendor_error' };
    return { outcome: result.match ? 'match' : 'no_match', result };
  } catch {
    return { outcome: 'vendor_error' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A STAND-IN, NOT A BIOMETRIC MATCHER: it "matches" only when the selfie is byte for byte the
 * portrait itself, so the example and its tests can run every branch without a vendor. It says nothing
 * about whether two photos show the same person. Replace it with your vendor's adapter.
 */
export const NOT_A_BIOMETRIC_MATCHER: FaceMatcher = {
  async compare({ portrait, selfie }) {
    const same =
      portrait.bytes.length === selfie.bytes.length && portrait.bytes.every((b, i) => b === selfie.bytes[i]);
    return { match: same, reference: 'stand-in: byte equality, not biometrics' };
  },
};
