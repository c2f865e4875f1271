/**
 * PACE — Doc 9303 Part 11 §4.4 (BSI TR-03110 Part 2 §3.2, Part 3 §A.3): MSE:Set AT, four GENERAL
 * AUTHENTICATE steps (encrypted nonce, mapping, key agreement, mutual authentication tokens) with ECDH or
 * DH, Generic or Integrated Mapping, and PACE-CAM (§4.4.3.5: the chip's Chip Authentication data in
 * the last step, checked against its static key later). Passwords: the CAN or the MRZ information.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import type { PACEInfo, SecurityInfo } from '../icao/dg14.ts';
import { bytesToBigInt, concat } from '../lib/bytes.ts';
import { type ResponseAPDU, SW, swHex } from './apdu.ts';
import { isAccessDenied, type SessionKeys } from './bac.ts';
import { aesCbcDecrypt, aesCmac, aesEncryptBlock } from './crypto/aes.ts';
import { retailMac, tdesCbcDecrypt } from './crypto/des.ts';
import { kdf, SM_BLOCK_LENGTH, type SMCipher } from './crypto/kdf.ts';
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
  privateKey,
} from './crypto/pace-math.ts';
import { pad, unpad } from './crypto/padding.ts';
import { dataObject, equalMac, parseDataObjects } from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import type { PlainChannel } from './transport.ts';

/** id-PACE (BSI TR-03110 Part 3 §A.1.1). */
export const ID_PACE = '0.4.0.127.0.7.2.2.4';

/** Mapping and key agreement of a PACE protocol OID. */
export const PACE_MAPPINGS = {
  1: { agreement: 'DH', mapping: 'GM' },
  2: { agreement: 'ECDH', mapping: 'GM' },
  3: { agreement: 'DH', mapping: 'IM' },
  4: { agreement: 'ECDH', mapping: 'IM' },
  6: { agreement: 'ECDH', mapping: 'CAM' },
} as const;

/** Cipher arc of PACE / Chip Authentication protocol OIDs. */
export const CIPHER_ARCS = { 1: '3DES', 2: 'AES-128', 3: 'AES-192', 4: 'AES-256' } as const satisfies Record<
  number,
  SMCipher
>;

/** A PACE protocol as EF.CardAccess offers it. */
export interface PACEProtocol {
  readonly oid: string;
  readonly agreement: 'ECDH' | 'DH';
  readonly mapping: 'GM' | 'IM' | 'CAM';
  readonly cipher: SMCipher;
  readonly parameterId: number;
}

/** The PACE protocols offered by SecurityInfos that this reader supports, best first. */
export function paceProtocols(infos: readonly SecurityInfo[]): PACEProtocol[] {
  const out: PACEProtocol[] = [];
  for (const i of infos) {
    if (i.kind !== 'pace' || !i.oid.startsWith(`${ID_PACE}.`)) continue;
    const [m, c] = i.oid
      .slice(ID_PACE.length + 1)
      .split('.')
      .map(Number);
    const mapping = PACE_MAPPINGS[m as keyof typeof PACE_MAPPINGS];
    const cipher = CIPHER_ARCS[c as keyof typeof CIPHER_ARCS];
    const parameterId = (i as PACEInfo).parameterId;
    if (!mapping || !cipher || parameterId === undefined) continue;
    try {
      const d = paceDomain(parameterId);
      if ((d.kind === 'ec') !== (mapping.agreement === 'ECDH')) continue;
    } catch {
      continue;
    }
    out.push({ oid: i.oid, ...mapping, cipher, parameterId });
  }
  // CAM authenticates the chip during PACE; then GM, then IM.
  const rank = { CAM: 0, GM: 1, IM: 2 } as const;
  return out.sort((a, b) => rank[a.mapping] - rank[b.mapping]);
}

/** A PACE password. */
export type PACEPassword = { kind: 'can'; can: string } | { kind: 'mrz'; mrzInformation: string };

/** What PACE-CAM leaves to check once the chip's static key is known (DG14 / EF.CardSecurity). */
export interface PendingCAM {
  readonly domain: ECDomain;
  /** CA_IC, the decrypted Chip Authentication data. */
  readonly chipAuthenticationData: Uint8Array;
  /** The chip's mapping public key PK_Map,IC. */
  readonly chipMappingKey: ECPoint;
}

/** The result of PACE. */
export interface PACEResult extends SessionKeys {
  readonly protocol: PACEProtocol;
  readonly cam?: PendingCAM;
}

/** DER encoding of a dotted OID's content octets. */
export function oidBytes(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  const out: number[] = [Number(arcs[0]! * 40n + arcs[1]!)];
  for (const a of arcs.slice(2)) {
    const b: number[] = [];
    let v = a;
    do {
      b.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < b.length - 1; i++) b[i]! |= 0x80;
    out.push(...b);
  }
  return Uint8Array.from(out);
}

/** The PACE authentication token over the other side's public key (§4.4.3.4): MAC of 7F49 { 06 OID, 86/84 key }. */
export function authenticationToken(
  cipher: SMCipher,
  ksMac: Uint8Array,
  oid: string,
  agreement: 'ECDH' | 'DH',
  publicKey: Uint8Array,
): Uint8Array {
  const inner = concat(
    dataObject(0x06, oidBytes(oid)),
    dataObject(agreement === 'ECDH' ? 0x86 : 0x84, publicKey),
  );
  const len = dataObject(0x00, inner).subarray(1); // BER length ‖ inner
  const input = concat(Uint8Array.of(0x7f, 0x49), len);
  return cipher === '3DES' ? retailMac(ksMac, pad(input, 8)) : aesCmac(ksMac, input).slice(0, 8);
}

function decryptNonce(cipher: SMCipher, kPi: Uint8Array, z: Uint8Array): Uint8Array {
  if (z.length === 0 || z.length % SM_BLOCK_LENGTH[cipher] !== 0)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: encrypted nonce has a bad length');
  return cipher === '3DES'
    ? tdesCbcDecrypt(kPi, new Uint8Array(8), z)
    : aesCbcDecrypt(kPi, new Uint8Array(16), z);
}

/** f(π): the CAN's characters, or SHA-1 of the MRZ information (Doc 9303 Part 11 §9.7.3). */
export function passwordBytes(p: PACEPassword): Uint8Array {
  if (p.kind === 'can') return Uint8Array.from(p.can, (c) => c.charCodeAt(0));
  return sha1(Uint8Array.from(p.mrzInformation, (c) => c.charCodeAt(0)));
}

/** The data object `tag` inside a 7C dynamic authentication data answer. */
function dynamicData(r: ResponseAPDU, tag: number, step: string, optional = false): Uint8Array | undefined {
  if (isAccessDenied(r.sw))
    throw new ReaderError(
      'ERR_ACCESS_DENIED',
      `pace: the chip refused the password (${swHex(r.sw)}, ${step})`,
      { sw: r.sw },
    );
  if (r.sw !== SW.OK)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `pace: ${step} answered ${swHex(r.sw)}`, { sw: r.sw });
  const outer = parseDataObjects(r.data);
  const c7 = outer.length === 1 && outer[0]!.tag === 0x7c ? outer[0]! : undefined;
  if (!c7)
    throw new ReaderError('ERR_SECURE_MESSAGING', `pace: ${step} answer is not dynamic authentication data`);
  const found = parseDataObjects(c7.value).find((o) => o.tag === tag);
  if (!found && !optional)
    throw new ReaderError(
      'ERR_SECURE_MESSAGING',
      `pace: ${step} answer lacks data object ${tag.toString(16)}`,
    );
  return found?.value;
}

async function generalAuthenticate(
  ch: PlainChannel,
  last: boolean,
  tag: number | undefined,
  value?: Uint8Array,
): Promise<ResponseAPDU> {
  const inner = tag === undefined ? new Uint8Array(0) : dataObject(tag, value ?? new Uint8Array(0));
  return ch.send({
    cla: last ? 0x00 : 0x10,
    ins: 0x86,
    p1: 0,
    p2: 0,
    data: dataObject(0x7c, inner),
    ne: 256,
  });
}

/**
 * Runs PACE on the plain channel. `random` draws the terminal's private keys (mapping, then key
 * agreement) and the IM nonce t — a test injects the worked examples' values.
 *
 * @throws ReaderError `ERR_ACCESS_DENIED` when the chip refuses the password (one attempt only),
 *   `ERR_PROTOCOL_UNSUPPORTED` when it refuses the protocol, `ERR_SECURE_MESSAGING` on a bad answer
 * @example
 * const { keys, ssc } = await performPACE(channel, paceProtocols(cardAccess)[0], { kind: 'can', can: '123456' }, random);
 */
export async function performPACE(
  ch: PlainChannel,
  protocol: PACEProtocol,
  password: PACEPassword,
  random: (n: number) => Uint8Array,
): Promise<PACEResult> {
  const { cipher, agreement, mapping, oid } = protocol;
  const domain: PACEDomain = paceDomain(protocol.parameterId);

  // MSE:Set AT — protocol, password reference (01 MRZ, 02 CAN), domain parameters.
  const mse = concat(
    dataObject(0x80, oidBytes(oid)),
    dataObject(0x83, Uint8Array.of(password.kind === 'mrz' ? 0x01 : 0x02)),
    dataObject(0x84, Uint8Array.of(protocol.parameterId)),
  );
  const set = await ch.send({ cla: 0x00, ins: 0x22, p1: 0xc1, p2: 0xa4, data: mse });
  if (set.sw === SW.AUTHENTICATION_BLOCKED || set.sw === SW.REFERENCE_DATA_UNUSABLE)
    throw new ReaderError(
      'ERR_ACCESS_DENIED',
      `pace: the password is blocked or suspended (${swHex(set.sw)})`,
      { sw: set.sw },
    );
  // Refusing the protocol or this password type (several CCCDs answer 6982 to the MRZ) is not a failed
  // attempt: no key was tried, so BAC may follow with the MRZ.
  if (set.sw !== SW.OK && set.sw >> 4 !== 0x63c)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `pace: MSE:Set AT answered ${swHex(set.sw)}`, {
      sw: set.sw,
    });

  // 1. Encrypted nonce.
  const kPi = kdf(passwordBytes(password), 3, cipher);
  const z = dynamicData(await generalAuthenticate(ch, false, undefined), 0x80, 'encrypted nonce')!;
  const s = decryptNonce(cipher, kPi, z);

  // 2. Mapping.
  let G: ECPoint | undefined;
  let g: bigint | undefined;
  let chipMappingKey: ECPoint | undefined;
  if (mapping === 'IM') {
    const t = random(cipher === '3DES' || cipher === 'AES-128' ? 16 : 32);
    dynamicData(await generalAuthenticate(ch, false, 0x81, t), 0x82, 'mapping', true);
    if (domain.kind === 'ec') G = ecIntegratedMap(domain, cipher, s, t);
    else g = dhIntegratedMap(domain, cipher, s, t);
  } else if (domain.kind === 'ec') {
    const x = privateKey(domain, random);
    const mine = encodePoint(domain, domain.Point.BASE.multiply(x));
    const theirs = dynamicData(await generalAuthenticate(ch, false, 0x81, mine), 0x82, 'mapping')!;
    if (equalMac(theirs, mine))
      throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip echoed the mapping key');
    chipMappingKey = decodePoint(domain, theirs);
    G = ecGenericMap(domain, s, chipMappingKey.multiply(x));
  } else {
    const x = privateKey(domain, random);
    const mine = encodeDHPublic(domain, dhPower(domain, domain.g, x));
    const theirs = dynamicData(await generalAuthenticate(ch, false, 0x81, mine), 0x82, 'mapping')!;
    if (equalMac(theirs, mine))
      throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip echoed the mapping key');
    const h = dhPower(domain, checkDHPublic(domain, bytesToBigInt(theirs)), x);
    g = dhGenericMap(domain, s, h);
  }

  // 3. Key agreement on the mapped generator.
  let shared: Uint8Array;
  let myKey: Uint8Array;
  let chipKey: Uint8Array;
  if (domain.kind === 'ec') {
    const y = privateKey(domain, random);
    myKey = encodePoint(domain, G!.multiply(y));
    chipKey = dynamicData(await generalAuthenticate(ch, false, 0x83, myKey), 0x84, 'key agreement')!;
    if (equalMac(chipKey, myKey))
      throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip echoed the key');
    const P = decodePoint(domain, chipKey);
    shared = encodePoint(domain, P.multiply(y)).subarray(1, 1 + domain.fieldLength);
  } else {
    const dh = domain as DHDomain;
    const y = privateKey(dh, random);
    myKey = encodeDHPublic(dh, dhPower(dh, g!, y));
    chipKey = dynamicData(await generalAuthenticate(ch, false, 0x83, myKey), 0x84, 'key agreement')!;
    if (equalMac(chipKey, myKey))
      throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip echoed the key');
    const Y = bytesToBigInt(chipKey);
    if (Y <= 1n || Y >= dh.p - 1n)
      throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip key is degenerate');
    shared = encodeDHPublic(dh, dhPower(dh, Y, y));
  }
  const ksEnc = kdf(shared, 1, cipher);
  const ksMac = kdf(shared, 2, cipher);

  // 4. Mutual authentication: the wrong password shows here (the chip answers 6300).
  const tIFD = authenticationToken(cipher, ksMac, oid, agreement, chipKey);
  const last = await generalAuthenticate(ch, true, 0x85, tIFD);
  const tIC = dynamicData(last, 0x86, 'mutual authentication')!;
  if (!equalMac(tIC, authenticationToken(cipher, ksMac, oid, agreement, myKey)))
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: the chip authentication token is wrong');
  const keys = { cipher, ksEnc, ksMac };
  const ssc = new Uint8Array(SM_BLOCK_LENGTH[cipher]);
  if (mapping !== 'CAM') return { keys, ssc, protocol };

  const encrypted = dynamicData(last, 0x8a, 'chip authentication data');
  if (!encrypted || !chipMappingKey || domain.kind !== 'ec')
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: PACE-CAM answer without chip authentication data');
  // A_IC = E(KSenc, CA_IC) in CBC with IV = E(KSenc, -1) (§4.4.3.5.1).
  const iv = aesEncryptBlock(ksEnc, new Uint8Array(16).fill(0xff));
  let ca: Uint8Array;
  try {
    ca = unpad(aesCbcDecrypt(ksEnc, iv, encrypted));
  } catch (cause) {
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: chip authentication data does not decrypt', {
      cause,
    });
  }
  return { keys, ssc, protocol, cam: { domain, chipAuthenticationData: ca, chipMappingKey } };
}

/**
 * PACE-CAM check (§4.4.3.5.2): PK_Map,IC = CA_IC · PK_IC, with the chip's static key PK_IC.
 */
export function verifyCAM(cam: PendingCAM, staticKey: Uint8Array): boolean {
  try {
    const P = decodePoint(cam.domain, staticKey);
    const k = bytesToBigInt(cam.chipAuthenticationData) % cam.domain.n;
    if (k === 0n) return false;
    return P.multiply(k).equals(cam.chipMappingKey);
  } catch {
    return false;
  }
}
