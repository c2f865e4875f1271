/**
 * `@chipid/sdk/sandbox` — sandbox PKI, complete synthetic CCCD chips for every outcome, a virtual chip
 * answering Active Authentication, the APDU-level virtual card (PACE / BAC, secure messaging, Chip and
 * Active Authentication, faults on purpose), and the sandbox registry seed.
 *
 * Sandbox keys are public by design (derived from published seeds): never trust the sandbox CSCA in a
 * live environment.
 */

export { SANDBOX_FACES, type SandboxFace } from './assets/faces.ts';
export type { AAPrivateKey } from './chip.ts';
export { iso9796d2Sign, VirtualChip } from './chip.ts';
export type { Card, Citizen, CitizenCard, ProvinceCode } from './citizens.ts';
export {
  cccdExpiry,
  cccdIdNumber,
  idNumberConsistent,
  PROVINCES,
  READY_CITIZENS,
  randomCitizen,
  readyCitizen,
  sexCenturyDigit,
} from './citizens.ts';
export type { MakeCardOptions, SandboxCard } from './factory.ts';
export { faceFor, makeCard } from './factory.ts';
export type { ECKey, KeyKind, RSAKey, SandboxKey } from './keys.ts';
export type { DG1Options, DG2Options, DG14Options, SODOptions } from './lds.ts';
export {
  DG13_FIELDS,
  encodeCOM,
  encodeDG1,
  encodeDG2,
  encodeDG13,
  encodeDG14,
  encodeDG15,
  encodeFacialRecord,
  encodeLDSSecurityObject,
  encodeSOD,
  padJPEG,
} from './lds.ts';
export type { MasterListSpec } from './master-list.ts';
export { encodeMasterList } from './master-list.ts';
export type { CCCDMRZFields } from './mrz.ts';
export { cccdMRZ, mrzCheckDigit, mrzName, mrzTransliterate } from './mrz.ts';
export type { CertificateSpec, IssuedCertificate, NameAttribute, SandboxPKI } from './pki.ts';
export {
  buildCRL,
  issueCertificate,
  SANDBOX_PKI_SEEDS,
  SANDBOX_VALIDITY,
  sandboxCSCA,
  sandboxPKI,
  toPEM,
} from './pki.ts';
export type { ExpectedOutcome, Profile, ProfileName } from './profiles.ts';
export { isProfileName, listProfiles, PROFILE_NAMES } from './profiles.ts';
export type { SandboxRandom } from './random.ts';
export { createRandom } from './random.ts';
export type { CardRecord, CitizenRecord, RegistryRecord } from './registry.ts';
export { registryRecords, sandboxRegistry, sandboxRegistryJSONL } from './registry.ts';
export type {
  ChipProfileName,
  LDSFileName,
  PACEDomainName,
  PACEMapping,
  PACEOffer,
  PACEOption,
  VirtualCardFaults,
  VirtualCardImage,
  VirtualCardOptions,
  VirtualCardSetup,
  VirtualCardStats,
} from './virtual-card/index.ts';
export {
  CHIP_PROFILE_DESCRIPTIONS,
  CHIP_PROFILES,
  EMRTD_AID,
  encodeCardAccess,
  mrzInformationFromDG1,
  PACE_PARAMETER_IDS,
  resolveSetup,
  sandboxCardImage,
  TagLostError,
  VirtualCard,
  virtualCard,
  virtualCardFor,
} from './virtual-card/index.ts';
