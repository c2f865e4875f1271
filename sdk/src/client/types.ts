/**
 * Client types — the service's answers (SERVICE-CONTRACT.md "RP endpoints") and the identity
 * assertion's claims (RFC 7519; OpenID Identity Assurance 1.0 `verified_claims`).
 */
import type { ReasonCode, VerificationResult } from '../reasons.ts';

export type { VerificationResult } from '../reasons.ts';

/**
 * A reason code in an answer. Known codes are {@link ReasonCode}; the service may add codes before an
 * older SDK knows them, so unknown strings are kept rather than refused.
 */
export type AssertionReason = ReasonCode | (string & {});

/** A one-time active-authentication challenge (`POST /v1/challenges`). */
export interface Challenge {
  /** Challenge id: pass it to `verify(…, { challenge })`. */
  readonly id: string;
  /** The 8 random bytes the chip must sign (ICAO Doc 9303 Part 11 §6.1). */
  readonly challenge: Uint8Array;
  /** When the service stops accepting it (≤ 120 s after issue; single use). */
  readonly expiresAt: Date;
}

/** `POST /v1/verifications` answer, after the assertion was verified. */
export interface VerificationOutcome {
  /** Verification id (the assertion's `txn`, the audit reference). */
  readonly id: string;
  readonly result: VerificationResult;
  readonly reasons: AssertionReason[];
  /** The signed identity assertion (compact JWT, `typ: chipid-assertion+jwt`): keep it as proof. */
  readonly assertion: string;
  /** The assertion's verified claims; absent only when `verifyAssertion: false` was asked. */
  readonly claims?: AssertionClaims;
  /**
   * Requested claims the assertion does not carry, and why (the assertion's `withheld_claims`): absent
   * when every requested claim came.
   */
  readonly withheld?: Readonly<Record<string, WithheldReason>>;
  /**
   * Scope `portrait`, `verified` chips: the chip's face as JPEG, its SHA-256 checked against the
   * assertion's attachment digest (unless `verifyAssertion: false`). Absent otherwise.
   */
  readonly portrait?: Portrait;
}

/** The chip's face (DG2) as the service delivered it. */
export interface Portrait {
  readonly mediaType: 'image/jpeg';
  readonly bytes: Uint8Array;
}

/** An attachment reference in evidence (OpenID Attachments 1.0; chipid names the portrait `desc: 'portrait'`). */
export interface AttachmentReference {
  desc?: string;
  content_type?: string;
  digest?: { alg: string; value: string };
  [member: string]: unknown;
}

/**
 * Why a requested claim is not in the assertion: the client is not registered for it, the result is
 * not `verified`, or the chip does not hold it. New reasons may appear: treat unknown ones as withheld.
 */
export type WithheldReason = 'not_registered' | 'not_verified' | 'not_on_chip' | (string & {});

/** `GET /v1/verifications/:id` answer (no personal data). */
export interface VerificationRecord {
  readonly id: string;
  readonly result: VerificationResult;
  readonly reasons: AssertionReason[];
  readonly createdAt: Date;
  /** The checks the service made, as it reports them. */
  readonly checks: unknown;
}

/** One check in `evidence[].check_details` (OIDC4IDA §5.1.1.1). */
export interface CheckDetail {
  /** e.g. `vcrypt` (passive authentication), `vpip`, `data` (registry), as the service names them. */
  check_method: string;
  organization?: string;
  txn?: string;
  time?: string;
  [member: string]: unknown;
}

/** `evidence[].document_details` (OIDC4IDA §5.1.1.1). */
export interface DocumentDetails {
  type?: string;
  document_number?: string;
  personal_number?: string;
  date_of_issuance?: string;
  date_of_expiry?: string;
  issuer?: { name?: string; country?: string; country_code?: string; [member: string]: unknown };
  [member: string]: unknown;
}

/** Evidence of type `document` (OIDC4IDA §5.1.1.1). */
export interface DocumentEvidence {
  type: 'document' | (string & {});
  method?: string;
  time?: string;
  check_details?: CheckDetail[];
  document_details?: DocumentDetails;
  /** Images bound to the assertion by digest (the `portrait`). */
  attachments?: AttachmentReference[];
  [member: string]: unknown;
}

/** Identity claims the relying party's scope allowed (OpenID Connect Core §5.1 names + chipid's). */
export interface IdentityClaims {
  given_name?: string;
  family_name?: string;
  name?: string;
  birthdate?: string;
  gender?: string;
  nationality?: string;
  /** Derived from the birth date without disclosing it. */
  age_over_18?: boolean;
  place_of_origin?: unknown;
  address?: unknown;
  [claim: string]: unknown;
}

/** `verified_claims` (OpenID Identity Assurance 1.0 §5). */
export interface VerifiedClaims {
  verification: {
    trust_framework: string;
    time?: string;
    verification_process?: string;
    evidence: DocumentEvidence[];
    [member: string]: unknown;
  };
  claims: IdentityClaims;
}

/** Payload of a `chipid-assertion+jwt`. */
export interface AssertionClaims {
  iss: string;
  aud: string | string[];
  /** Pairwise subject: stable for one citizen and one relying party, uncorrelatable across RPs. */
  sub?: string;
  iat: number;
  exp: number;
  jti: string;
  /** Verification id. */
  txn: string;
  result: VerificationResult;
  reasons: AssertionReason[];
  verified_claims?: VerifiedClaims;
  /** Requested claims left out, each with its {@link WithheldReason}; absent when none were. */
  withheld_claims?: Record<string, WithheldReason>;
  [claim: string]: unknown;
}
