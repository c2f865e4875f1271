/** `@chipid/sdk/icao` — ICAO Doc 9303 elementary files, MRZ, BAC keys, Active Authentication. */
export {
  type ActiveAuthInput,
  type ActiveAuthResult,
  aaHashFromDG14,
  verifyActiveAuth,
} from './active-auth.ts';
export { type BACKeys, deriveBACKeys } from './bac.ts';
export { type COM, parseCOM } from './com.ts';
export { icaoToAlpha2 } from './country.ts';
export { type DescribeOptions, describeDump } from './describe.ts';
export { type DG1, parseDG1 } from './dg1.ts';
export { type DG2Face, parseDG2 } from './dg2.ts';
export { type CCCDIdInfo, cccdIdInfo, type DG13, type DG13Field, parseDG13 } from './dg13.ts';
export { type DG14, parseDG14, type SecurityInfo } from './dg14.ts';
export { type DG15, parseDG15 } from './dg15.ts';
export {
  type ChipDump,
  type ChipDumpJSON,
  canonicalDump,
  chipDigest,
  chipDumpSchema,
  chipDumpStructureSchema,
  DUMP_BASE64_PATTERN,
  DUMP_FORMAT,
  decodeDump,
  parseDump,
} from './dump.ts';
export { LDS_TAG, readLDSFile } from './lds.ts';
export { assertMRZValid, checkDigit, type MRZ, type MRZFormat, mrzInformation, parseMRZ } from './mrz.ts';
export { parseSOD, type SignerInfo, type SOD } from './sod.ts';
