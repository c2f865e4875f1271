/**
 * `@chipid/sdk/reader` — read an eMRTD / Vietnam CCCD chip over any NFC or PC/SC transport (ICAO Doc 9303
 * Part 10 and 11: PACE, BAC, secure messaging, Chip and Active Authentication). Pure JavaScript: no Web
 * Crypto, no Node APIs (React Native / Hermes, browsers, Node, workerd).
 */
export { type CommandAPDU, encodeCommand, type ResponseAPDU, SW } from './apdu.ts';
export type { SMCipher } from './crypto/kdf.ts';
export { type PartialRead, READER_HINTS, ReaderError, type ReaderErrorCode } from './errors.ts';
export {
  type ChipRead,
  EMRTD_AID,
  type ReadChipOptions,
  type ReadKey,
  type ReadProgress,
  readChip,
} from './read-chip.ts';
export type { ApduLogEntry, ChipTransport, ReadCounters } from './transport.ts';
