/**
 * What the virtual card offers, as SecurityInfos — Doc 9303 Part 11 §9.2 (EF.CardAccess: PACEInfo
 * §9.2.1, ChipAuthenticationInfo §9.2.5, TerminalAuthenticationInfo §9.2.6) and the PACE / CA object
 * identifiers of BSI TR-03110 Part 3 §A.1.1 and Doc 9303 Part 11 §9.2.
 */
import { int, oid, seq, setOf } from '../../asn1/writer.ts';
import type { SMCipher } from '../../reader/crypto/kdf.ts';

/** PACE mappings (Doc 9303 Part 11 §4.4.3.3; CAM §4.4.3.5). */
export type PACEMapping = 'GM' | 'IM' | 'CAM';

/** PACE standardized domain parameters by parameterId (Doc 9303 Part 11 §9.5.1, Table 11). */
export const PACE_PARAMETER_IDS = {
  'MODP-1024-160': 0,
  'MODP-2048-224': 1,
  'MODP-2048-256': 2,
  'P-192': 8,
  brainpoolP192r1: 9,
  'P-224': 10,
  brainpoolP224r1: 11,
  'P-256': 12,
  brainpoolP256r1: 13,
  brainpoolP320r1: 14,
  'P-384': 15,
  brainpoolP384r1: 16,
  brainpoolP512r1: 17,
  'P-521': 18,
} as const;

/** A named set of standardized domain parameters (the names of sdk/src/reader/crypto/pace-math.ts). */
export type PACEDomainName = keyof typeof PACE_PARAMETER_IDS;

const ID_PACE = '0.4.0.127.0.7.2.2.4';
const ID_CA = '0.4.0.127.0.7.2.2.3';
const ID_TA = '0.4.0.127.0.7.2.2.2';

/** Last arc of a PACE/CA OID per cipher (…1 3DES-CBC-CBC, …2 AES-CBC-CMAC-128, …3 -192, …4 -256). */
const CIPHER_ARC = { '3DES': 1, 'AES-128': 2, 'AES-192': 3, 'AES-256': 4 } as const satisfies Record<
  SMCipher,
  number
>;

/** The PACE protocol OID for a mapping, key agreement (DH or ECDH) and cipher. */
export function paceOID(mapping: PACEMapping, dh: boolean, cipher: SMCipher): string {
  // id-PACE-DH-GM 1, -ECDH-GM 2, -DH-IM 3, -ECDH-IM 4, -ECDH-CAM 6.
  const arc = mapping === 'CAM' ? 6 : mapping === 'GM' ? (dh ? 1 : 2) : dh ? 3 : 4;
  return `${ID_PACE}.${arc}.${CIPHER_ARC[cipher]}`;
}

/** Mapping, key agreement and cipher of a PACE OID, or undefined when it is no PACE OID. */
export function parsePaceOID(
  dotted: string,
): { mapping: PACEMapping; dh: boolean; cipher: SMCipher } | undefined {
  const m = new RegExp(`^${ID_PACE.replaceAll('.', '\\.')}\\.([1-46])\\.([1-4])$`).exec(dotted);
  if (!m) return undefined;
  const arc = Number(m[1]);
  const cipher = (Object.keys(CIPHER_ARC) as SMCipher[])[Number(m[2]) - 1]!;
  const mapping: PACEMapping = arc === 6 ? 'CAM' : arc <= 2 ? 'GM' : 'IM';
  return { mapping, dh: arc === 1 || arc === 3, cipher };
}

/** The Chip Authentication protocol OID (id-CA-DH-… or id-CA-ECDH-…) for a cipher. */
export function caOID(dh: boolean, cipher: SMCipher): string {
  return `${ID_CA}.${dh ? 1 : 2}.${CIPHER_ARC[cipher]}`;
}

/** Key agreement and cipher of a CA OID, or undefined. */
export function parseCaOID(dotted: string): { dh: boolean; cipher: SMCipher } | undefined {
  const m = new RegExp(`^${ID_CA.replaceAll('.', '\\.')}\\.([12])\\.([1-4])$`).exec(dotted);
  if (!m) return undefined;
  return { dh: m[1] === '1', cipher: (Object.keys(CIPHER_ARC) as SMCipher[])[Number(m[2]) - 1]! };
}

/** One PACE set-up the card offers. */
export interface PACEOffer {
  mapping: PACEMapping;
  domain: PACEDomainName;
  cipher: SMCipher;
}

/** Whether a domain is a MODP (DH) group. */
export const isDH = (domain: PACEDomainName): boolean => domain.startsWith('MODP');

/** What EF.CardAccess lists. */
export interface CardAccessContent {
  pace: readonly PACEOffer[];
  /** ChipAuthenticationInfo (version 1) with this protocol OID. */
  chipAuthentication?: string;
  /** TerminalAuthenticationInfo version 1 (as the CCCD lists it). */
  terminalAuthentication?: boolean;
}

/**
 * EF.CardAccess: `SET OF SecurityInfo` — PACEInfo `{ protocol, version 2, parameterId }`,
 * ChipAuthenticationInfo `{ protocol, version 1 }`, TerminalAuthenticationInfo `{ id-TA, version 1 }`
 * (DER order). For the CCCD set-up this gives byte for byte what CCCD cards store.
 *
 * @example
 * encodeCardAccess({ pace: [{ mapping: 'GM', domain: 'brainpoolP256r1', cipher: 'AES-128' }] });
 */
export function encodeCardAccess(content: CardAccessContent): Uint8Array {
  const infos: Uint8Array[] = [];
  if (content.terminalAuthentication) infos.push(seq(oid(ID_TA), int(1)));
  if (content.chipAuthentication) infos.push(seq(oid(content.chipAuthentication), int(1)));
  for (const p of content.pace)
    infos.push(
      seq(oid(paceOID(p.mapping, isDH(p.domain), p.cipher)), int(2), int(PACE_PARAMETER_IDS[p.domain])),
    );
  return setOf(...infos);
}

/** The dotted form of an OID's content octets (the value of DO'80 in MSE:Set AT); undefined if malformed. */
export function oidFromBytes(b: Uint8Array): string | undefined {
  if (b.length === 0 || b[b.length - 1]! & 0x80) return undefined;
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}
