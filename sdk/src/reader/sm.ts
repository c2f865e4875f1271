/**
 * Secure messaging — Doc 9303 Part 11 §9.8 (ISO/IEC 7816-4 §10): one object that wraps the plain channel,
 * so every protocol above it is unaware of 3DES vs AES. Commands: DO'87 (even INS) or DO'85 (odd INS)
 * cryptogram, DO'97 Le, DO'8E MAC over the padded header and objects; responses: DO'87/'85, DO'99, DO'8E.
 * The SSC is incremented for every command and every response, errors included; every response MAC is
 * checked before any byte of it is used; 6987/6988, a bad MAC or bad padding break the session for good
 * (a broken session is re-established, never continued).
 */

import { concat } from '../lib/bytes.ts';
import { type CommandAPDU, needsExtended, type ResponseAPDU, SW } from './apdu.ts';
import { SM_BLOCK_LENGTH } from './crypto/kdf.ts';
import { pad, unpad } from './crypto/padding.ts';
import {
  do8e,
  do85,
  do87,
  do97,
  equalMac,
  incrementSSC,
  parseDataObjects,
  type SMKeys,
  smDecrypt,
  smEncrypt,
  smMac,
} from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import type { Channel, PlainChannel } from './transport.ts';

/** Secure-messaging overhead of a response carrying `n` plaintext bytes (DO'87, DO'99, DO'8E). */
export function protectedResponseLength(n: number, blockLength: number, oddIns = false): number {
  if (n === 0) return 4 + 10;
  const c = (Math.floor(n / blockLength) + 1) * blockLength + (oddIns ? 0 : 1);
  const len = c < 0x80 ? 1 : c < 0x100 ? 2 : c < 0x10000 ? 3 : 4;
  return 1 + len + c + 4 + 10;
}

/** The largest plaintext whose protected response fits in `maxResponse` bytes (SW included). */
export function maxPlaintextFor(maxResponse: number, blockLength: number): number {
  let n = Math.max(0, maxResponse - 2 - 14);
  while (n > 0 && protectedResponseLength(n, blockLength) + 2 > maxResponse) n--;
  return n;
}

/** A secure messaging session over the plain channel. */
export class SecureChannel implements Channel {
  readonly keys: SMKeys;
  private ssc: Uint8Array;
  private readonly inner: PlainChannel;
  private brokenBy: string | undefined;

  constructor(inner: PlainChannel, keys: SMKeys, ssc: Uint8Array) {
    this.inner = inner;
    this.keys = keys;
    this.ssc = ssc.slice();
  }

  /** The send sequence counter (a copy). */
  get sendSequenceCounter(): Uint8Array {
    return this.ssc.slice();
  }

  /** Whether the session is broken (then every send fails). */
  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  private breakSession(reason: string, sw?: number, cause?: unknown): never {
    this.brokenBy = reason;
    throw new ReaderError('ERR_SECURE_MESSAGING', `sm: ${reason}`, {
      ...(sw !== undefined ? { sw } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  /**
   * Sends a command protected, returns the verified, decrypted response. `extended`: the outer APDU uses
   * extended length (needed when the protected command or response exceeds short length).
   *
   * @throws ReaderError `ERR_SECURE_MESSAGING` (session broken: 6987/6988, response MAC or padding wrong)
   */
  async send(command: CommandAPDU, options?: { extended?: boolean }): Promise<ResponseAPDU> {
    if (this.brokenBy) throw new ReaderError('ERR_SECURE_MESSAGING', `sm: session broken (${this.brokenBy})`);
    const bl = SM_BLOCK_LENGTH[this.keys.cipher];
    const cla = command.cla | 0x0c;
    const header = Uint8Array.of(cla, command.ins, command.p1, command.p2);
    const odd = (command.ins & 1) === 1;
    const ne = command.ne ?? 0;

    this.ssc = incrementSSC(this.ssc);
    const objects: Uint8Array[] = [];
    if (command.data && command.data.length > 0) {
      const cg = smEncrypt(this.keys, this.ssc, command.data);
      objects.push(odd ? do85(cg) : do87(cg));
    }
    if (ne > 0) objects.push(do97(ne, ne > 256));
    const mac = smMac(this.keys, this.ssc, concat(pad(header, bl), ...objects));
    objects.push(do8e(mac));
    const body = concat(...objects);
    // A long answer goes extended when the transport allows it; otherwise the chip may chain it (61xx).
    const extended =
      options?.extended ??
      (body.length > 255 ||
        ((protectedResponseLength(ne, bl, odd) > 256 || needsExtended(command)) &&
          this.inner.extendedLength));
    let r: ResponseAPDU;
    try {
      r = await this.inner.send(
        { cla, ins: command.ins, p1: command.p1, p2: command.p2, data: body, ne: extended ? 65536 : 256 },
        { extended },
      );
    } finally {
      // The card counts the response whether or not it reached us: our SSC follows the card's.
      this.ssc = incrementSSC(this.ssc);
    }
    return this.unwrap(r);
  }

  private unwrap(r: ResponseAPDU): ResponseAPDU {
    if (r.sw === SW.SM_DATA_MISSING || r.sw === SW.SM_DATA_INCORRECT)
      this.breakSession(`the chip refused the protected command (${r.sw.toString(16)})`, r.sw);
    if (r.data.length === 0) {
      // A plain status without data: an error the chip did not protect. Nothing of it is used but the
      // status word; a plain success would be a chip answering outside the session.
      if (r.sw === SW.OK || r.sw >> 8 === 0x62) this.breakSession('unprotected success answer', r.sw);
      return { data: new Uint8Array(0), sw: r.sw };
    }
    let objects: ReturnType<typeof parseDataObjects>;
    try {
      objects = parseDataObjects(r.data);
    } catch (cause) {
      return this.breakSession('malformed protected response', r.sw, cause);
    }
    const last = objects[objects.length - 1];
    if (last?.tag !== 0x8e || last.value.length !== 8) return this.breakSession('response without MAC', r.sw);
    const covered = concat(...objects.slice(0, -1).map((o) => o.raw));
    if (!equalMac(smMac(this.keys, this.ssc, covered), last.value))
      return this.breakSession('response MAC mismatch', r.sw);
    let sw: number | undefined;
    let data: Uint8Array = new Uint8Array(0);
    for (const o of objects.slice(0, -1)) {
      if (o.tag === 0x99) {
        if (o.value.length !== 2) return this.breakSession('malformed DO99', r.sw);
        sw = (o.value[0]! << 8) | o.value[1]!;
      } else if (o.tag === 0x87 || o.tag === 0x85) {
        const cg = o.tag === 0x87 ? o.value.subarray(1) : o.value;
        if (o.tag === 0x87 && o.value[0] !== 0x01)
          return this.breakSession('unknown padding indicator', r.sw);
        try {
          data = unpad(smDecrypt(this.keys, this.ssc, cg));
        } catch (cause) {
          return this.breakSession('cryptogram does not decrypt', r.sw, cause);
        }
      }
    }
    if (sw === undefined) return this.breakSession('response without DO99', r.sw);
    return { data, sw };
  }
}
