/**
 * `@chipid/sdk` — verify Vietnam CCCD / ICAO Doc 9303 chip reads and chipid identity assertions.
 *
 * Subpaths: `@chipid/sdk/icao` (every elementary file), `@chipid/sdk/sandbox` (test PKI and chips),
 * `@chipid/sdk/asn1` (DER reader/writer).
 */

export { CLAIM_NAMES, type ClaimName } from './claims.ts';
export * from './client/index.ts';
export { type CRL, parseCRL } from './crypto/crl.ts';
export { createDigestMemo, type DigestMemo, digest, type HashName } from './crypto/hash.ts';
export {
  type ECPublicKey,
  KEY_LIMITS,
  type PublicKey,
  parseSPKI,
  type RSAPublicKey,
  type SPKIOptions,
} from './crypto/keys.ts';
export {
  type Check,
  createTrustStore,
  type PassiveAuthOptions,
  type PassiveAuthReport,
  type TrustStore,
  type TrustStoreInput,
  verifyPassive,
} from './crypto/passive-auth.ts';
export { type SignatureScheme, signatureScheme, verifyECDSA, verifySignature } from './crypto/signature.ts';
export { type ChipReport, type ChipVerifyOptions, verifyChip } from './crypto/verify-chip.ts';
export { type Certificate, derToPem, type Name, parseCertificate, readCertificates } from './crypto/x509.ts';
export {
  ASN1Error,
  ChipIdError,
  ClientError,
  CryptoError,
  ERROR_CODES,
  type ErrorCode,
  isChipIdError,
  LDSError,
} from './errors.ts';
export { verifyActiveAuth } from './icao/active-auth.ts';
export { describeDump } from './icao/describe.ts';
export { type DG1, parseDG1 } from './icao/dg1.ts';
export { cccdIdInfo, type DG13, parseDG13 } from './icao/dg13.ts';
export { parseDG15 } from './icao/dg15.ts';
export {
  type ChipDump,
  type ChipDumpJSON,
  canonicalDump,
  chipDigest,
  chipDumpSchema,
  chipDumpStructureSchema,
  chipPartsDigest,
  DUMP_BASE64_PATTERN,
  DUMP_FORMAT,
  DUMP_PARTS,
  type DumpPartName,
  decodeDump,
  dumpFromParts,
  dumpParts,
  MAX_PART_BYTES,
  PARTS_FORMAT,
  parseDump,
} from './icao/dump.ts';
export {
  MASTER_LIST_CODES,
  type MasterList,
  type MasterListCheck,
  type MasterListCode,
  type MasterListOptions,
  type MasterListReport,
  parseMasterList,
  verifyMasterList,
} from './icao/master-list.ts';
export { type MRZ, parseMRZ } from './icao/mrz.ts';
export { parseSOD, type SOD } from './icao/sod.ts';
export {
  type ApduLogEntry,
  type ChipRead,
  type ChipTransport,
  type PartialRead,
  type ReadChipOptions,
  ReaderError,
  type ReadKey,
  type ReadProgress,
  readChip,
} from './reader/index.ts';
export { REASON_CODES, REASONS, type ReasonCode, type VerificationResult } from './reasons.ts';
export * from './request/index.ts';
