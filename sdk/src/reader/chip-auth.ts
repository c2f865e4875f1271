/**
 * Chip Authentication — Doc 9303 Part 11 §6.2 (BSI TR-03110 Part 3 §B.1): ephemeral-static ECDH or DH with
 * the chip's static key from DG14 (ChipAuthenticationPublicKeyInfo), MSE:Set KAT (3DES) or MSE:Set AT +
 * GENERAL AUTHENTICATE (AES), then secure messaging restarts under keys derived from the shared secret
 * (SSC zero). The chip proves it holds the private key by answering correctly under the new keys.
 */
import { children, parseOne, Reader, readBigInt, readBitString, TAG } from '../asn1/der.ts';
import { pointConstructor, readAlgorithmIdentifier, readECParameters } from '../crypto/keys.ts';
import type { SecurityInfo } from '../icao/dg14.ts';
import { bigIntToBytes, bytesToBigInt } from '../lib/bytes.ts';
import { SW, swHex } from './apdu.ts';
import type { SessionKeys } from './bac.ts';
import { kdf, SM_BLOCK_LENGTH, type SMCipher } from './crypto/kdf.ts';
import {
  type DHDomain,
  decodePoint,
  dhPower,
  type ECDomain,
  ecDomainByParams,
  encodeDHPublic,
  encodePoint,
  privateKey,
} from './crypto/pace-math.ts';
import { dataObject } from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import { CIPHER_ARCS, oidBytes } from './pace.ts';
import type { SecureChannel } from './sm.ts';

const ID_CA = '0.4.0.127.0.7.2.2.3';
const ID_PK_DH = '0.4.0.127.0.7.2.2.1.1';
const ID_PK_ECDH = '0.4.0.127.0.7.2.2.1.2';

/** What DG14 offers for Chip Authentication: the protocol and the chip's static key. */
export interface ChipAuthOffer {
  /** Protocol OID (id-CA-ECDH-AES-CBC-CMAC-128 …), or undefined for a DG14 with only the key (3DES, v1). */
  readonly oid: string | undefined;
  readonly agreement: 'ECDH' | 'DH';
  readonly cipher: SMCipher;
  readonly keyId: number | undefined;
  readonly domain: ECDomain | DHDomain;
  /** The static public key: an uncompressed point (ECDH) or the public value y (DH, p's length). */
  readonly publicKey: Uint8Array;
}

function ecDomainOf(paramsNode: Parameters<typeof readECParameters>[0]): ECDomain {
  const curve = readECParameters(paramsNode);
  const { p, a, b, n } = curve.params;
  const known = ecDomainByParams(p, a, b, n);
  if (known) return known;
  return {
    kind: 'ec',
    parameterId: -1,
    name: curve.name ?? 'explicit',
    Point: pointConstructor(curve),
    p,
    a,
    b,
    n,
    fieldLength: curve.byteLength,
    orderLength: curve.orderLength,
  };
}

/** Parses a ChipAuthenticationPublicKeyInfo's SubjectPublicKeyInfo (id-PK-ECDH / id-PK-DH). */
export function parseChipAuthKey(spki: Uint8Array): {
  agreement: 'ECDH' | 'DH';
  domain: ECDomain | DHDomain;
  publicKey: Uint8Array;
} {
  try {
    const node = parseOne(spki, { der: false });
    const r = new Reader(node, { der: false });
    const alg = readAlgorithmIdentifier(r.next(TAG.SEQUENCE));
    const { bytes } = readBitString(r.next(TAG.BIT_STRING));
    if ((alg.oid === ID_PK_ECDH || alg.oid === '1.2.840.10045.2.1') && alg.params) {
      const domain = ecDomainOf(alg.params);
      return { agreement: 'ECDH', domain, publicKey: encodePoint(domain, decodePoint(domain, bytes)) };
    }
    if ((alg.oid === ID_PK_DH || alg.oid === '1.2.840.10046.2.1') && alg.params) {
      const [pN, gN, qN] = children(alg.params, { der: false });
      if (!pN || !gN) throw new Error('DH parameters without p and g');
      const p = readBigInt(pN);
      const g = readBigInt(gN);
      const q = qN && qN.id === TAG.INTEGER ? readBigInt(qN) : (p - 1n) / 2n;
      const len = (x: bigint) => Math.ceil(x.toString(2).length / 8);
      const domain: DHDomain = {
        kind: 'dh',
        parameterId: -1,
        name: 'explicit',
        p,
        g,
        q,
        fieldLength: len(p),
        orderLength: len(q),
      };
      const y = readBigInt(parseOne(bytes, { der: false }));
      return { agreement: 'DH', domain, publicKey: bigIntToBytes(y, domain.fieldLength) };
    }
    throw new ReaderError(
      'ERR_PROTOCOL_UNSUPPORTED',
      `chip authentication: unsupported key algorithm ${alg.oid}`,
    );
  } catch (cause) {
    if (cause instanceof ReaderError) throw cause;
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'chip authentication: malformed DG14 public key', {
      cause,
    });
  }
}

/**
 * What DG14's SecurityInfos offer for Chip Authentication (the first supported protocol with its key),
 * or undefined when they offer none.
 */
export function chipAuthOffer(infos: readonly SecurityInfo[]): ChipAuthOffer | undefined {
  const keys = infos.filter((i) => i.kind === 'chipAuthenticationPublicKey');
  if (keys.length === 0) return undefined;
  const protocols = infos.filter((i) => i.kind === 'chipAuthentication');
  for (const p of protocols.length > 0 ? protocols : [undefined]) {
    let cipher: SMCipher = '3DES';
    let agreement: 'ECDH' | 'DH' | undefined;
    if (p) {
      if (!p.oid.startsWith(`${ID_CA}.`)) continue;
      const [a, c] = p.oid
        .slice(ID_CA.length + 1)
        .split('.')
        .map(Number);
      const ciph = CIPHER_ARCS[c as keyof typeof CIPHER_ARCS];
      if ((a !== 1 && a !== 2) || !ciph) continue;
      cipher = ciph;
      agreement = a === 1 ? 'DH' : 'ECDH';
    }
    const keyId = p && 'keyId' in p ? p.keyId : undefined;
    const info = keys.find(
      (k) => keyId === undefined || (k.kind === 'chipAuthenticationPublicKey' && k.keyId === keyId),
    );
    if (info?.kind !== 'chipAuthenticationPublicKey') continue;
    const key = parseChipAuthKey(info.spki);
    if (agreement && key.agreement !== agreement) continue;
    return { oid: p?.oid, cipher, keyId: keyId ?? info.keyId, ...key };
  }
  return undefined;
}

/**
 * Runs Chip Authentication over the current session; returns the new session keys (SSC zero). The caller
 * switches to them at once: the chip already did.
 *
 * @throws ReaderError `ERR_PROTOCOL_UNSUPPORTED` when the chip refuses the command
 */
export async function performChipAuthentication(
  sm: SecureChannel,
  offer: ChipAuthOffer,
  random: (n: number) => Uint8Array,
): Promise<SessionKeys> {
  let mine: Uint8Array;
  let shared: Uint8Array;
  if (offer.domain.kind === 'ec') {
    const d = offer.domain;
    const x = privateKey(d, random);
    mine = encodePoint(d, d.Point.BASE.multiply(x));
    shared = encodePoint(d, decodePoint(d, offer.publicKey).multiply(x)).subarray(1, 1 + d.fieldLength);
  } else {
    const d = offer.domain;
    const x = privateKey(d, random);
    mine = encodeDHPublic(d, dhPower(d, d.g, x));
    shared = encodeDHPublic(d, dhPower(d, bytesToBigInt(offer.publicKey), x));
  }
  const keyRef =
    offer.keyId !== undefined ? dataObject(0x84, bigIntToBytes(BigInt(offer.keyId))) : new Uint8Array(0);
  const cat = (...p: Uint8Array[]) => {
    const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of p) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  if (offer.cipher === '3DES') {
    const r = await sm.send({
      cla: 0,
      ins: 0x22,
      p1: 0x41,
      p2: 0xa6,
      data: cat(dataObject(0x91, mine), keyRef),
    });
    if (r.sw !== SW.OK)
      throw new ReaderError(
        'ERR_PROTOCOL_UNSUPPORTED',
        `chip authentication: MSE:Set KAT answered ${swHex(r.sw)}`,
        { sw: r.sw },
      );
  } else {
    if (!offer.oid)
      throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'chip authentication: AES without a protocol OID');
    const set = await sm.send({
      cla: 0,
      ins: 0x22,
      p1: 0x41,
      p2: 0xa4,
      data: cat(dataObject(0x80, oidBytes(offer.oid)), keyRef),
    });
    if (set.sw !== SW.OK)
      throw new ReaderError(
        'ERR_PROTOCOL_UNSUPPORTED',
        `chip authentication: MSE:Set AT answered ${swHex(set.sw)}`,
        { sw: set.sw },
      );
    const ga = await sm.send({
      cla: 0,
      ins: 0x86,
      p1: 0,
      p2: 0,
      data: dataObject(0x7c, dataObject(0x80, mine)),
      ne: 256,
    });
    if (ga.sw !== SW.OK)
      throw new ReaderError(
        'ERR_PROTOCOL_UNSUPPORTED',
        `chip authentication: GENERAL AUTHENTICATE answered ${swHex(ga.sw)}`,
        { sw: ga.sw },
      );
  }
  return {
    keys: { cipher: offer.cipher, ksEnc: kdf(shared, 1, offer.cipher), ksMac: kdf(shared, 2, offer.cipher) },
    ssc: new Uint8Array(SM_BLOCK_LENGTH[offer.cipher]),
  };
}

/** The DG14 static key as the uncompressed point PACE-CAM checks against (ECDH keys only). */
export function camStaticKey(infos: readonly SecurityInfo[]): Uint8Array | undefined {
  const o = chipAuthOffer(infos);
  return o?.agreement === 'ECDH' ? o.publicKey : undefined;
}
