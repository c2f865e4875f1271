/**
 * Secure messaging, card side — Doc 9303 Part 11 §9.8 (ISO/IEC 7816-4 §10): the card checks the MAC of
 * every protected command before using a byte of it (SSC incremented first), decrypts DO'87 (even INS,
 * padding-content indicator 01) or DO'85 (odd INS), takes Ne from DO'97, and protects its answer with
 * DO'87/DO'85, DO'99 and DO'8E under the next SSC. 3DES: IV 0, retail MAC, 8-byte SSC; AES: IV =
 * E(KSenc, SSC), CMAC truncated to 8 bytes, 16-byte SSC (§9.8.6).
 *
 * Only the pure primitives (ciphers, MAC, padding) are shared with the reader; the checks are the card's.
 */
import { concat, equalBytes } from '../../lib/bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesEncryptBlock } from '../../reader/crypto/aes.ts';
import { retailMac, tdesCbcDecrypt, tdesCbcEncrypt } from '../../reader/crypto/des.ts';
import type { SMCipher } from '../../reader/crypto/kdf.ts';
import { pad } from '../../reader/crypto/padding.ts';
import { type CommandAPDU, SW } from './apdu.ts';
import { type DataObject, parseTLVs, tlv } from './tlv.ts';

/** Cipher block length (the padding block and the SSC length). */
export const blockLength = (cipher: SMCipher): 8 | 16 => (cipher === '3DES' ? 8 : 16);

/** CBC encryption with the given IV (no padding added). */
export function encrypt(cipher: SMCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cipher === '3DES' ? tdesCbcEncrypt(key, iv, data) : aesCbcEncrypt(key, iv, data);
}

/** CBC decryption with the given IV (no padding removed). */
export function decrypt(cipher: SMCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cipher === '3DES' ? tdesCbcDecrypt(key, iv, data) : aesCbcDecrypt(key, iv, data);
}

/** The 8-byte MAC over data the caller padded (SM): retail MAC, or CMAC's first 8 bytes. */
export function macPadded(cipher: SMCipher, key: Uint8Array, padded: Uint8Array): Uint8Array {
  return cipher === '3DES' ? retailMac(key, padded) : aesCmac(key, padded).slice(0, 8);
}

/**
 * The 8-byte MAC of an authentication token (PACE T_PCD/T_IC, BSI TR-03110 Part 3 §A.2.4): 3DES pads
 * (ISO/IEC 9797-1 method 2) then retail MAC; AES-CMAC takes the data as it is.
 */
export function tokenMac(cipher: SMCipher, key: Uint8Array, data: Uint8Array): Uint8Array {
  return cipher === '3DES' ? retailMac(key, pad(data, 8)) : aesCmac(key, data).slice(0, 8);
}

/** Padding removed, or undefined when it is not ISO/IEC 9797-1 method 2 padding. */
function unpadOrUndefined(data: Uint8Array): Uint8Array | undefined {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  return i >= 0 && data[i] === 0x80 ? data.subarray(0, i) : undefined;
}

/** A secure-messaging fault: the card answers this SW in plain and ends the session (§9.8.6.1). */
export class SMFault {
  constructor(readonly sw: number) {}
}

/** The session keys and send sequence counter of one secure-messaging session, on the card. */
export class CardSession {
  readonly cipher: SMCipher;
  readonly #kEnc: Uint8Array;
  readonly #kMac: Uint8Array;
  #ssc: Uint8Array;

  constructor(cipher: SMCipher, kEnc: Uint8Array, kMac: Uint8Array, ssc?: Uint8Array) {
    this.cipher = cipher;
    this.#kEnc = kEnc;
    this.#kMac = kMac;
    this.#ssc = ssc ? Uint8Array.from(ssc) : new Uint8Array(blockLength(cipher));
  }

  /** The current send sequence counter (a copy). */
  get ssc(): Uint8Array {
    return Uint8Array.from(this.#ssc);
  }

  #increment(): void {
    for (let i = this.#ssc.length - 1; i >= 0; i--) {
      this.#ssc[i] = (this.#ssc[i]! + 1) & 0xff;
      if (this.#ssc[i] !== 0) break;
    }
  }

  #iv(): Uint8Array {
    return this.cipher === '3DES' ? new Uint8Array(8) : aesEncryptBlock(this.#kEnc, this.#ssc);
  }

  /**
   * Checks and opens a protected command: the plain command it carries.
   *
   * @throws SMFault 6987 (data objects missing or malformed) or 6988 (MAC or cryptogram wrong)
   */
  unwrap(cmd: CommandAPDU): CommandAPDU {
    const bs = blockLength(this.cipher);
    // Every protected command moves the counter, even one the card refuses.
    this.#increment();
    const dos = parseTLVs(cmd.data);
    if (!dos) throw new SMFault(SW.SM_MISSING);
    const odd = (cmd.ins & 1) === 1;
    let crypt: DataObject | undefined;
    let le: DataObject | undefined;
    let mac: DataObject | undefined;
    const macInput: Uint8Array[] = [];
    for (const d of dos) {
      // Order: DO'87/85, DO'97, DO'8E last; anything else (or out of order) is an SM error.
      if ((d.tag === 0x87 || d.tag === 0x85) && !crypt && !le && !mac) {
        if ((d.tag === 0x85) !== odd) throw new SMFault(SW.SM_INCORRECT);
        crypt = d;
      } else if (d.tag === 0x97 && !le && !mac) le = d;
      else if (d.tag === 0x8e && !mac) mac = d;
      else throw new SMFault(SW.SM_INCORRECT);
      if (d !== mac) macInput.push(tlv(d.tag, d.value));
    }
    if (!mac) throw new SMFault(SW.SM_MISSING);
    if (mac.value.length !== 8) throw new SMFault(SW.SM_INCORRECT);
    const header = pad(Uint8Array.of(cmd.cla, cmd.ins, cmd.p1, cmd.p2), bs);
    const body = macInput.length ? pad(concat(...macInput), bs) : new Uint8Array(0);
    const expected = macPadded(this.cipher, this.#kMac, concat(this.#ssc, header, body));
    if (!equalBytes(expected, mac.value)) throw new SMFault(SW.SM_INCORRECT);

    let data: Uint8Array = new Uint8Array(0);
    if (crypt) {
      const c = crypt.tag === 0x87 ? crypt.value.subarray(1) : crypt.value;
      if (crypt.tag === 0x87 && crypt.value[0] !== 0x01) throw new SMFault(SW.SM_INCORRECT);
      if (c.length === 0 || c.length % bs !== 0) throw new SMFault(SW.SM_INCORRECT);
      const plain = unpadOrUndefined(decrypt(this.cipher, this.#kEnc, this.#iv(), c));
      if (!plain) throw new SMFault(SW.SM_INCORRECT);
      data = plain;
    }
    let ne: number | undefined;
    if (le) {
      const v = le.value;
      if (v.length === 1) ne = v[0] === 0 ? 256 : v[0]!;
      else if (v.length === 2) ne = v[0] === 0 && v[1] === 0 ? 65536 : (v[0]! << 8) | v[1]!;
      else throw new SMFault(SW.SM_INCORRECT);
    }
    return {
      cla: cmd.cla & ~0x0c,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data,
      ne,
      extended: cmd.extended || (le?.value.length ?? 0) === 2,
    };
  }

  /**
   * Protects an answer: DO'87 (even INS) or DO'85 (odd INS) when there is data, DO'99 with the status,
   * DO'8E over SSC ‖ DOs; `corruptMac` flips a MAC bit (fault injection).
   */
  wrap(ins: number, data: Uint8Array, sw: number, corruptMac = false): Uint8Array {
    const bs = blockLength(this.cipher);
    this.#increment();
    const parts: Uint8Array[] = [];
    if (data.length > 0) {
      const c = encrypt(this.cipher, this.#kEnc, this.#iv(), pad(data, bs));
      parts.push(ins & 1 ? tlv(0x85, c) : tlv(0x87, Uint8Array.of(0x01), c));
    }
    parts.push(tlv(0x99, Uint8Array.of((sw >> 8) & 0xff, sw & 0xff)));
    const mac = macPadded(this.cipher, this.#kMac, concat(this.#ssc, pad(concat(...parts), bs)));
    if (corruptMac) mac[7] = mac[7]! ^ 0x01;
    return concat(...parts, tlv(0x8e, mac));
  }
}
