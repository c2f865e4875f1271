/**
 * Errors — one base class with a stable string `code` from a closed union (modelled on jose).
 *
 * Messages name the rule that failed, never the data: DG1/DG13 carry personal data.
 */

/** Every error code the SDK can raise. Stable: relying parties switch on these. */
export const ERROR_CODES = [
  // ASN.1 / TLV
  'ERR_ASN1_TRUNCATED',
  'ERR_ASN1_INVALID_TAG',
  'ERR_ASN1_INVALID_LENGTH',
  'ERR_ASN1_NOT_DER',
  'ERR_ASN1_TOO_DEEP',
  'ERR_ASN1_TRAILING_DATA',
  'ERR_ASN1_UNEXPECTED',
  // LDS / ICAO elementary files
  'ERR_LDS_INVALID',
  'ERR_LDS_UNEXPECTED_TAG',
  'ERR_MRZ_INVALID',
  'ERR_MRZ_CHECK_DIGIT',
  'ERR_DG2_INVALID',
  'ERR_DG13_INVALID',
  'ERR_DG14_INVALID',
  'ERR_DG15_INVALID',
  'ERR_DUMP_INVALID',
  // CMS / X.509 / crypto
  'ERR_SOD_INVALID',
  'ERR_CERT_INVALID',
  'ERR_CRL_INVALID',
  'ERR_MASTERLIST_INVALID',
  'ERR_ALG_UNSUPPORTED',
  'ERR_KEY_INVALID',
  'ERR_SIGNATURE_INVALID',
  // Request / client
  'ERR_REQUEST_INVALID',
  'ERR_KEY_UNSUPPORTED',
  'ERR_HTTP',
  'ERR_ASSERTION_INVALID',
  'ERR_NETWORK',
  'ERR_SANDBOX',
  'ERR_CONFIG',
  'ERR_CCCD_ID_INVALID',
  // Service problem codes (RFC 9457 `code`, SERVICE-CONTRACT.md "Errors"), surfaced by the client
  'ERR_REQUEST_REPLAYED',
  'ERR_UNAUTHORIZED',
  'ERR_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_PAYLOAD_TOO_LARGE',
  'ERR_MALFORMED_JSON',
  'ERR_VALIDATION',
  'ERR_RATE_LIMITED',
  'ERR_IDEMPOTENCY_CONFLICT',
  'ERR_CHALLENGE_INVALID',
  'ERR_STORE_UNAVAILABLE',
  'ERR_INTERNAL',
  'ERR_FORBIDDEN',
  'ERR_CONFLICT',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  // Chip reader (Doc 9303 Part 11: access control, secure messaging, files)
  'ERR_ACCESS_DENIED',
  'ERR_TRANSPORT',
  'ERR_SECURE_MESSAGING',
  'ERR_PROTOCOL_UNSUPPORTED',
  'ERR_FILE_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class of every error thrown by `@chipid/sdk`. */
export class ChipIdError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ChipIdError';
  }
}

/** Malformed ASN.1 DER / BER-TLV input. */
export class ASN1Error extends ChipIdError {
  /** Byte offset where the problem was found. */
  readonly offset: number;
  constructor(code: ErrorCode, message: string, offset: number, options?: { cause?: unknown }) {
    super(code, `${message} (at byte ${offset})`, options);
    this.name = 'ASN1Error';
    this.offset = offset;
  }
}

/** An ICAO elementary file (EF.COM, DGx, SOD) that does not follow Doc 9303. */
export class LDSError extends ChipIdError {
  /** The dump member at fault (`dg2`, `aa.signature`, …) when a dump's member could not be decoded. */
  readonly member: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; member?: string }) {
    super(code, message, options);
    this.name = 'LDSError';
    this.member = options?.member;
  }
}

/** Certificates, CMS, algorithms and keys. */
export class CryptoError extends ChipIdError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CryptoError';
  }
}

/** Building or sending requests; reading the service's answers. */
export class ClientError extends ChipIdError {
  /** HTTP status when the service answered. */
  readonly status: number | undefined;
  /** RFC 9457 problem document when the service answered with one. */
  readonly problem: Record<string, unknown> | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; problem?: Record<string, unknown> },
  ) {
    super(code, message, options);
    this.name = 'ClientError';
    this.status = options?.status;
    this.problem = options?.problem;
  }
}

/** True when `e` is a ChipIdError (works across realms and duplicate installs). */
export function isChipIdError(e: unknown): e is ChipIdError {
  return (
    e instanceof ChipIdError ||
    (typeof e === 'object' &&
      e !== null &&
      typeof (e as { code?: unknown }).code === 'string' &&
      (ERROR_CODES as readonly string[]).includes((e as { code: string }).code))
  );
}
