/**
 * PACE, card side — Doc 9303 Part 11 §4.4 (BSI TR-03110 Part 2 §3.2, Part 3 §B.1): the chain of four
 * GENERAL AUTHENTICATE commands after MSE:Set AT.
 *   1. the card draws the nonce s and answers z = E(Kπ, s), Kπ = KDF(π, 3) (§4.4.3.1, §9.7.3);
 *   2. mapping (§4.4.3.3): Generic Mapping — mapping keys exchanged, G~ = s·G + H (g~ = g^s·h for DH);
 *      Integrated Mapping — the terminal's nonce t, G~ = PointEncode(R_p(s, t)); PACE-CAM maps as GM;
 *   3. ephemeral key agreement on G~, K = the x coordinate (or the DH value), KSenc/KSmac = KDF(K, 1/2);
 *   4. the card checks T_PCD = MAC(KSmac, PK_IC) and answers T_IC = MAC(KSmac, PK_PCD) (§4.4.3.4), with
 *      CAM the encrypted chip authentication data A_IC = E(KSenc, CA_IC), CA_IC = SK_Map,IC · SK_IC⁻¹
 *      mod n, IV = E(KSenc, 0xFF…FF) (§4.4.3.5.1).
 * The card checks every public key (on the curve / in the subgroup) and that the terminal's keys differ
 * from its own (§4.4.1 d). Only the pure arithmetic (curves, mappings, KDF) is shared with the reader.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { oid } from '../../asn1/writer.ts';
import { ascii, bigIntToBytes, bytesToBigInt, equalBytes, modPow } from '../../lib/bytes.ts';
import { aesEncryptBlock } from '../../reader/crypto/aes.ts';
import { kdf, type SMCipher } from '../../reader/crypto/kdf.ts';
import {
  checkDHPublic,
  type DHDomain,
  decodePoint,
  dhGenericMap,
  dhIntegratedMap,
  dhPower,
  type ECDomain,
  type ECPoint,
  ecGenericMap,
  ecIntegratedMap,
  encodeDHPublic,
  encodePoint,
  type PACEDomain,
  paceDomain,
} from '../../reader/crypto/pace-math.ts';
import { pad } from '../../reader/crypto/padding.ts';
import { SW } from './apdu.ts';
import { PACE_PARAMETER_IDS, type PACEOffer, paceOID } from './security-infos.ts';
import { blockLength, CardSession, encrypt, tokenMac } from './sm.ts';
import { type DataObject, find, parseTLVs, tlv } from './tlv.ts';

/** The password a PACE run uses (MSE:Set AT DO'83: 01 MRZ, 02 CAN). */
export type PACEPassword = 'mrz' | 'can';

/** What one GENERAL AUTHENTICATE step answers. */
export interface PACEStepResult {
  data: Uint8Array;
  sw: number;
  /** Set on the last step: the secure-messaging session PACE established. */
  session?: CardSession;
  /** The terminal proved no knowledge of the password (wrong CAN / MRZ): the card counts it. */
  authenticationFailed?: boolean;
  /** The run is over (established or aborted). */
  done?: boolean;
}

type Element = ECPoint | bigint;

/** The password π as Doc 9303 Part 11 §9.7.3 defines it: SHA-1 of the MRZ information, or the CAN's characters. */
export function pacePassword(kind: PACEPassword, secret: string): Uint8Array {
  return kind === 'mrz' ? sha1(ascii(secret)) : ascii(secret);
}

/** One PACE run on the card, from MSE:Set AT to the mutual authentication. */
export class CardPACE {
  readonly #offer: PACEOffer;
  readonly #oid: string;
  readonly #domain: PACEDomain;
  readonly #kPi: Uint8Array;
  readonly #random: (n: number) => Uint8Array;
  /** The static Chip Authentication key for CAM (its curve is the PACE curve). */
  readonly #camKey: bigint | undefined;
  #step = 0;
  #s: Uint8Array | undefined;
  #mapSk: bigint | undefined;
  #mapPk: Uint8Array | undefined;
  #g: Element | undefined;
  #pkIc: Uint8Array | undefined;
  #pkPcd: Uint8Array | undefined;
  #kEnc: Uint8Array | undefined;
  #kMac: Uint8Array | undefined;

  constructor(offer: PACEOffer, password: Uint8Array, random: (n: number) => Uint8Array, camKey?: bigint) {
    this.#offer = offer;
    this.#oid = paceOID(offer.mapping, offer.domain.startsWith('MODP'), offer.cipher);
    this.#domain = paceDomain(PACE_PARAMETER_IDS[offer.domain]);
    this.#kPi = kdf(password, 3, offer.cipher);
    this.#random = random;
    this.#camKey = camKey;
  }

  get cipher(): SMCipher {
    return this.#offer.cipher;
  }

  /**
   * One GENERAL AUTHENTICATE: `data` is the command's data field (`7C …`), `chained` whether CLA had the
   * command-chaining bit (steps 1–3 must, step 4 must not).
   */
  step(data: Uint8Array, chained: boolean): PACEStepResult {
    const abort = (sw: number): PACEStepResult => ({ data: new Uint8Array(0), sw, done: true });
    const outer = parseTLVs(data);
    const dyn = outer?.length === 1 && outer[0]!.tag === 0x7c ? parseTLVs(outer[0]!.value) : undefined;
    if (!dyn) return abort(SW.WRONG_DATA);
    if (chained !== this.#step < 3) return abort(SW.CONDITIONS);
    try {
      switch (this.#step++) {
        case 0:
          return this.#nonce(dyn);
        case 1:
          return this.#map(dyn);
        case 2:
          return this.#agree(dyn);
        default:
          return this.#authenticate(dyn);
      }
    } catch {
      // An invalid public key or mapping nonce (pace-math refuses it).
      return abort(SW.WRONG_DATA);
    }
  }

  #ok(...objects: Uint8Array[]): PACEStepResult {
    return { data: tlv(0x7c, ...objects), sw: SW.OK };
  }

  #nonce(dyn: DataObject[]): PACEStepResult {
    if (dyn.length !== 0) return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    const { cipher, mapping } = this.#offer;
    const bs = blockLength(cipher);
    // The Integrated Mapping's R(s, t) keys the cipher with E(t, s): s is as long as the mapping's
    // constants (128 bits for 3DES and AES-128, 256 bits otherwise); GM takes one cipher block.
    const sLength = mapping === 'IM' ? (cipher === '3DES' || cipher === 'AES-128' ? 16 : 32) : bs;
    this.#s = this.#random(sLength);
    const z = encrypt(cipher, this.#kPi, new Uint8Array(bs), this.#s);
    return this.#ok(tlv(0x80, z));
  }

  #decode(bytes: Uint8Array): Element {
    const d = this.#domain;
    if (d.kind === 'ec') return decodePoint(d, bytes);
    if (bytes.length === 0 || bytes.length > d.fieldLength) throw new Error('length');
    return checkDHPublic(d, bytesToBigInt(bytes));
  }

  #encode(e: Element): Uint8Array {
    const d = this.#domain;
    return d.kind === 'ec' ? encodePoint(d, e as ECPoint) : encodeDHPublic(d, e as bigint);
  }

  #mul(base: Element, k: bigint): Element {
    const d = this.#domain;
    return d.kind === 'ec' ? (base as ECPoint).multiply(k) : dhPower(d, base as bigint, k);
  }

  #generator(): Element {
    const d = this.#domain;
    return d.kind === 'ec' ? d.Point.BASE : d.g;
  }

  #map(dyn: DataObject[]): PACEStepResult {
    const d = this.#domain;
    const s = this.#s!;
    const m = find(dyn, 0x81);
    if (!m) return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    if (this.#offer.mapping === 'IM') {
      // The terminal's nonce t; nothing to answer but an empty template.
      this.#g =
        d.kind === 'ec'
          ? ecIntegratedMap(d, this.#offer.cipher, s, m)
          : dhIntegratedMap(d, this.#offer.cipher, s, m);
      return this.#ok();
    }
    const theirs = this.#decode(m);
    this.#mapSk = drawPrivateKey(d, this.#random);
    const mine = this.#mul(this.#generator(), this.#mapSk);
    this.#mapPk = this.#encode(mine);
    if (equalBytes(this.#encode(theirs), this.#mapPk))
      return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    const h = this.#mul(theirs, this.#mapSk);
    this.#g =
      d.kind === 'ec'
        ? ecGenericMap(d as ECDomain, s, h as ECPoint)
        : dhGenericMap(d as DHDomain, s, h as bigint);
    return this.#ok(tlv(0x82, this.#mapPk));
  }

  #agree(dyn: DataObject[]): PACEStepResult {
    const d = this.#domain;
    const pk = find(dyn, 0x83);
    if (!pk) return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    const theirs = this.#decode(pk);
    const sk = drawPrivateKey(d, this.#random);
    this.#pkIc = this.#encode(this.#mul(this.#g!, sk));
    this.#pkPcd = this.#encode(theirs);
    if (equalBytes(this.#pkIc, this.#pkPcd))
      return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    const shared = this.#mul(theirs, sk);
    const secret =
      d.kind === 'ec'
        ? bigIntToBytes((shared as ECPoint).toAffine().x, d.fieldLength)
        : bigIntToBytes(shared as bigint, d.fieldLength);
    this.#kEnc = kdf(secret, 1, this.#offer.cipher);
    this.#kMac = kdf(secret, 2, this.#offer.cipher);
    return this.#ok(tlv(0x84, this.#pkIc));
  }

  /** The public key data object a token authenticates (TR-03110 Part 3 §D.3.4): 7F49 { 06 OID, 86 point | 84 y }. */
  #keyObject(pk: Uint8Array): Uint8Array {
    return tlv(0x7f49, oid(this.#oid), tlv(this.#domain.kind === 'ec' ? 0x86 : 0x84, pk));
  }

  #authenticate(dyn: DataObject[]): PACEStepResult {
    const cipher = this.#offer.cipher;
    const t = find(dyn, 0x85);
    if (!t) return { data: new Uint8Array(0), sw: SW.WRONG_DATA, done: true };
    const expected = tokenMac(cipher, this.#kMac!, this.#keyObject(this.#pkIc!));
    if (!equalBytes(expected, t))
      return { data: new Uint8Array(0), sw: SW.AUTH_FAILED, authenticationFailed: true, done: true };
    const objects = [tlv(0x86, tokenMac(cipher, this.#kMac!, this.#keyObject(this.#pkPcd!)))];
    if (this.#offer.mapping === 'CAM') {
      const d = this.#domain as ECDomain;
      const ca = (this.#mapSk! * modInverse(this.#camKey!, d.n)) % d.n;
      const iv = aesEncryptBlock(this.#kEnc!, new Uint8Array(16).fill(0xff));
      objects.push(tlv(0x8a, encrypt(cipher, this.#kEnc!, iv, pad(bigIntToBytes(ca, d.orderLength), 16))));
    }
    return {
      data: tlv(0x7c, ...objects),
      sw: SW.OK,
      session: new CardSession(cipher, this.#kEnc!, this.#kMac!),
      done: true,
    };
  }
}

/**
 * A private key in [1, order): the order's byte length drawn, bits above the order's bit length
 * cleared, drawn again when out of range (FIPS 186-5 §A.2.2; the first in-range draw is used as is, so
 * a standard's keys can be injected). Masking keeps P-521's 66-byte draws in range about half the time.
 */
export function drawPrivateKey(domain: PACEDomain, random: (n: number) => Uint8Array): bigint {
  const order = domain.kind === 'ec' ? domain.n : domain.q;
  const extra = domain.orderLength * 8 - order.toString(2).length;
  for (let i = 0; i < 128; i++) {
    const b = Uint8Array.from(random(domain.orderLength));
    b[0] = b[0]! & (0xff >> extra);
    const k = bytesToBigInt(b);
    if (k > 0n && k < order) return k;
  }
  throw new Error('virtual card: the random source gives no private key in range');
}

/** a⁻¹ mod m (m prime), by Fermat. */
const modInverse = (a: bigint, m: bigint): bigint => modPow(a % m, m - 2n, m);

/** Kπ for a password (exported for tests: Appendix G's Kπ). */
export const paceKey = (password: Uint8Array, cipher: SMCipher): Uint8Array => kdf(password, 3, cipher);
