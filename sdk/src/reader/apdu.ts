/**
 * Command and response APDUs — ISO/IEC 7816-4 §5.1 (cases 1–4, short and extended length) and the
 * status words the reader acts on (Doc 9303 Part 10 §3.6, Part 11 §9.8).
 */
import { ReaderError } from './errors.ts';

/** A command APDU. `ne`: expected response length (0 = none, 256 = short maximum, 65536 = extended maximum). */
export interface CommandAPDU {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data?: Uint8Array;
  readonly ne?: number;
}

/** A response APDU: data and status word. */
export interface ResponseAPDU {
  readonly data: Uint8Array;
  readonly sw: number;
}

/** Status words (ISO/IEC 7816-4 §5.6). */
export const SW = {
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  VERIFICATION_FAILED: 0x6300,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTHENTICATION_BLOCKED: 0x6983,
  REFERENCE_DATA_UNUSABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  SM_DATA_MISSING: 0x6987,
  SM_DATA_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  INCORRECT_P1P2: 0x6a86,
  REFERENCE_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

/** True for 9000 and the warnings that still carry valid data (62xx, 63xx except failed verification). */
export const isSuccess = (sw: number): boolean => sw === SW.OK || sw >> 8 === 0x62;

/** Status word as 4 hex digits. */
export const swHex = (sw: number): string => sw.toString(16).padStart(4, '0').toUpperCase();

/** Whether a command needs extended length (data over 255 bytes, or more than 256 bytes expected). */
export function needsExtended(c: CommandAPDU): boolean {
  return (c.data?.length ?? 0) > 255 || (c.ne ?? 0) > 256;
}

/**
 * Encodes a command APDU: short form when it fits (unless `extended`), extended otherwise.
 *
 * @example
 * encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0, ne: 8 }); // 00 84 00 00 08
 */
export function encodeCommand(c: CommandAPDU, extended = false): Uint8Array {
  const data = c.data ?? new Uint8Array(0);
  const ne = c.ne ?? 0;
  if (data.length > 65535 || ne > 65536 || ne < 0)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'apdu: command too long');
  const ext = extended || needsExtended(c);
  const parts: number[] = [c.cla, c.ins, c.p1, c.p2];
  if (!ext) {
    if (data.length > 0) parts.push(data.length);
    const out = new Uint8Array(parts.length + data.length + (ne > 0 ? 1 : 0));
    out.set(parts);
    out.set(data, parts.length);
    if (ne > 0) out[out.length - 1] = ne === 256 ? 0 : ne;
    return out;
  }
  const head: number[] = [...parts];
  if (data.length > 0) head.push(0, data.length >> 8, data.length & 0xff);
  const le: number[] = [];
  if (ne > 0) {
    if (data.length === 0) le.push(0);
    const v = ne === 65536 ? 0 : ne;
    le.push(v >> 8, v & 0xff);
  }
  const out = new Uint8Array(head.length + data.length + le.length);
  out.set(head);
  out.set(data, head.length);
  out.set(le, head.length + data.length);
  return out;
}

/**
 * Splits a response APDU into data and status word.
 *
 * @throws ReaderError `ERR_TRANSPORT` when the response has no status word
 */
export function decodeResponse(bytes: Uint8Array): ResponseAPDU {
  if (bytes.length < 2) throw new ReaderError('ERR_TRANSPORT', 'apdu: response without status word');
  const n = bytes.length;
  return { data: bytes.subarray(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}
