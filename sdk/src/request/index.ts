/** Relying-party request signing (RFC 7515/7519/8725): verification requests and auth tokens. */

export type { PrivateKeyInput, RequestAlgorithm, SigningKey } from './keys.ts';
export { importSigningKey, REQUEST_ALGORITHMS } from './keys.ts';
export type {
  AuthTokenClaims,
  SignAuthTokenOptions,
  SignBaseOptions,
  SignVerificationRequestOptions,
  VerificationRequestClaims,
} from './sign.ts';
export {
  AUTH_TYP,
  CLIENT_ID_PATTERN,
  MAX_AUTH_TTL_SECONDS,
  MAX_PURPOSE_LENGTH,
  MAX_REQUEST_TTL_SECONDS,
  REQUEST_TYP,
  randomJti,
  signAuthToken,
  signVerificationRequest,
  verificationFormData,
} from './sign.ts';
