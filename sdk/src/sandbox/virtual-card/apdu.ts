/**
 * Command APDUs as a card parses them — ISO/IEC 7816-4 §5.1 (cases 1, 2S/2E, 3S/3E, 4S/4E) — and the
 * status words the virtual card answers with (ISO/IEC 7816-4 §5.6, Doc 9303 Part 11 §9.8.6.1).
 *
 * The card side is written apart from the reader's APDU code (sdk/src/reader): each checks the other.
 */

/** A parsed command APDU. */
export interface CommandAPDU {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (empty for cases 1 and 2). */
  readonly data: Uint8Array;
  /** Ne: the maximum number of response data bytes (256 for a short Le 00, 65536 for an extended 0000); undefined without Le. */
  readonly ne: number | undefined;
  /** The APDU used the extended length encoding. */
  readonly extended: boolean;
}

/** Status words (ISO/IEC 7816-4 Table 5–6; Doc 9303 Part 11 §9.8.6.1 for 6987/6988). */
export const SW = {
  OK: 0x9000,
  EOF_WARNING: 0x6282,
  AUTH_FAILED: 0x6300,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS: 0x6982,
  AUTH_BLOCKED: 0x6983,
  CONDITIONS: 0x6985,
  NO_CURRENT_EF: 0x6986,
  SM_MISSING: 0x6987,
  SM_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  REF_NOT_FOUND: 0x6a88,
  OFFSET_OUTSIDE: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

/**
 * Parses a command APDU; `undefined` when its length fields do not add up (the card answers 6700).
 *
 * @example
 * parseCommand(Uint8Array.of(0x00, 0xb0, 0x9e, 0x00, 0x04)); // READ BINARY SFI 1E, Ne = 4
 */
export function parseCommand(apdu: Uint8Array): CommandAPDU | undefined {
  if (apdu.length < 4) return undefined;
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  const head = { cla, ins, p1, p2 };
  const none = new Uint8Array(0);
  if (apdu.length === 4) return { ...head, data: none, ne: undefined, extended: false };
  const b4 = apdu[4]!;
  if (apdu.length === 5) return { ...head, data: none, ne: b4 === 0 ? 256 : b4, extended: false };
  if (b4 !== 0) {
    // Short Lc.
    const lc = b4;
    if (apdu.length === 5 + lc) return { ...head, data: apdu.slice(5), ne: undefined, extended: false };
    if (apdu.length === 6 + lc) {
      const le = apdu[5 + lc]!;
      return { ...head, data: apdu.slice(5, 5 + lc), ne: le === 0 ? 256 : le, extended: false };
    }
    return undefined;
  }
  // Extended: 00 then two length bytes.
  if (apdu.length < 7) return undefined;
  const n = (apdu[5]! << 8) | apdu[6]!;
  if (apdu.length === 7) return { ...head, data: none, ne: n === 0 ? 65536 : n, extended: true };
  if (n === 0) return undefined;
  if (apdu.length === 7 + n) return { ...head, data: apdu.slice(7), ne: undefined, extended: true };
  if (apdu.length === 9 + n) {
    const le = (apdu[7 + n]! << 8) | apdu[8 + n]!;
    return { ...head, data: apdu.slice(7, 7 + n), ne: le === 0 ? 65536 : le, extended: true };
  }
  return undefined;
}

/** Response APDU bytes: data then SW1 SW2. */
export function response(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = (sw >> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** A status word alone. */
export const status = (sw: number): Uint8Array => Uint8Array.of((sw >> 8) & 0xff, sw & 0xff);
