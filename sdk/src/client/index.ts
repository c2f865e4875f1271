/** chipid API client and identity assertion verification (SERVICE-CONTRACT.md "RP endpoints"). */

export type { JWKSInput, VerifyAssertionOptions } from './assertion.ts';
export {
  ASSERTION_ALGORITHMS,
  ASSERTION_TYP,
  assertionIssuer,
  remoteJWKS,
  verifyAssertion,
} from './assertion.ts';
export type {
  CallOptions,
  CardVerificationOutcome,
  ChipIdClient,
  ClientOptions,
  VerifyCardOptions,
  VerifyOptions,
} from './client.ts';
export { createClient } from './client.ts';
export type { FetchLike } from './http.ts';
export type {
  AssertionClaims,
  AssertionReason,
  Challenge,
  CheckDetail,
  DocumentDetails,
  DocumentEvidence,
  IdentityClaims,
  VerificationOutcome,
  VerificationRecord,
  VerificationResult,
  VerifiedClaims,
  WithheldReason,
} from './types.ts';
