/**
 * The calls to the bank's backend (examples/ekyc-onboarding): a challenge for the chip to sign, then
 * the read for the bank to verify with chipid. The app never holds the bank's chipid key.
 */
import type { ChipDumpJSON } from '@chipid/sdk';

/** `POST /onboarding/challenge`'s answer. */
export interface OnboardingChallenge {
  challengeId: string;
  /** 8 bytes for Active Authentication. */
  challenge: Uint8Array;
  expiresAt: string;
}

/** `POST /onboarding/complete`'s answer: verified, or why not. */
export type OnboardingResult =
  | { status: 'verified'; txn: string; name?: string; ageOver18?: boolean }
  | { status: 'rejected' | 'inconclusive'; reasons: string[]; txn?: string }
  | { status: 'error'; httpStatus: number; problem: unknown };

type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

const base64ToBytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

async function post(fetchFn: Fetch, url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/**
 * Asks the backend for a challenge for `userId`.
 *
 * @example
 * const ch = await startOnboarding('https://bank.example/api', 'u1');
 */
export async function startOnboarding(
  baseUrl: string,
  userId: string,
  fetchFn: Fetch = fetch as unknown as Fetch,
): Promise<OnboardingChallenge> {
  const r = await post(fetchFn, `${baseUrl}/onboarding/challenge`, { userId });
  const j = r.json as { challengeId?: string; challenge?: string; expiresAt?: string } | undefined;
  if (r.status !== 201 || !j?.challengeId || !j.challenge || !j.expiresAt) {
    throw new Error(`onboarding: no challenge (HTTP ${r.status})`);
  }
  return { challengeId: j.challengeId, challenge: base64ToBytes(j.challenge), expiresAt: j.expiresAt };
}

/**
 * Sends the chip read for verification.
 *
 * @example
 * const result = await completeOnboarding(base, 'u1', ch.challengeId, read.dump);
 */
export async function completeOnboarding(
  baseUrl: string,
  userId: string,
  challengeId: string,
  chip: ChipDumpJSON,
  fetchFn: Fetch = fetch as unknown as Fetch,
): Promise<OnboardingResult> {
  const r = await post(fetchFn, `${baseUrl}/onboarding/complete`, { userId, challengeId, chip });
  const j = r.json as {
    status?: string;
    txn?: string;
    name?: string;
    ageOver18?: boolean;
    reasons?: string[];
  };
  if (r.status === 201 && j?.status === 'verified' && j.txn) {
    return {
      status: 'verified',
      txn: j.txn,
      ...(j.name !== undefined ? { name: j.name } : {}),
      ...(j.ageOver18 !== undefined ? { ageOver18: j.ageOver18 } : {}),
    };
  }
  if (r.status === 422 && (j?.status === 'rejected' || j?.status === 'inconclusive')) {
    return { status: j.status, reasons: j.reasons ?? [], ...(j.txn ? { txn: j.txn } : {}) };
  }
  return { status: 'error', httpStatus: r.status, problem: r.json };
}
