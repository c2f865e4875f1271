/**
 * DG14 — security options, Doc 9303 Part 10 §4.7.14 and Part 11 §9.2: `SecurityInfos` (SET OF
 * SecurityInfo { protocol OID, requiredData, optionalData }) for Chip Authentication, PACE, Terminal
 * Authentication and Active Authentication (BSI TR-03110 arcs under 0.4.0.127.0.7.2.2).
 */
import { children, type Node, readInt, readNode, readOctets, readOID, TAG } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import type { HashName } from '../crypto/hash.ts';
import { LDSError } from '../errors.ts';
import { LDS_TAG, readLDSFile, withLDSErrors } from './lds.ts';

interface Base {
  /** Protocol OID, dotted. */
  readonly oid: string;
  /** The whole SecurityInfo encoding (view into the input). */
  readonly raw: Uint8Array;
}

/** ChipAuthenticationInfo (id-CA-DH-* / id-CA-ECDH-*). */
export interface ChipAuthenticationInfo extends Base {
  readonly kind: 'chipAuthentication';
  readonly version: number;
  readonly keyId?: number;
}

/** ChipAuthenticationPublicKeyInfo (id-PK-DH / id-PK-ECDH). */
export interface ChipAuthenticationPublicKeyInfo extends Base {
  readonly kind: 'chipAuthenticationPublicKey';
  /** SubjectPublicKeyInfo DER of the chip's static key (view into the input). */
  readonly spki: Uint8Array;
  readonly keyId?: number;
}

/** ChipAuthenticationDomainParameterInfo (id-CA-DH / id-CA-ECDH). */
export interface ChipAuthenticationDomainParameterInfo extends Base {
  readonly kind: 'chipAuthenticationDomainParameters';
}

/** PACEInfo (id-PACE-*-GM/IM/CAM-*). */
export interface PACEInfo extends Base {
  readonly kind: 'pace';
  readonly version: number;
  readonly parameterId?: number;
}

/** PACEDomainParameterInfo (id-PACE-DH-GM … without the cipher arc). */
export interface PACEDomainParameterInfo extends Base {
  readonly kind: 'paceDomainParameters';
}

/** TerminalAuthenticationInfo (id-TA). */
export interface TerminalAuthenticationInfo extends Base {
  readonly kind: 'terminalAuthentication';
  readonly version: number;
}

/** ActiveAuthenticationInfo (id-AA, Doc 9303 Part 11 §6.1): the ECDSA signature algorithm of AA. */
export interface ActiveAuthenticationInfo extends Base {
  readonly kind: 'activeAuthentication';
  readonly version: number;
  /** Signature algorithm OID, e.g. ecdsa-plain-SHA256 `0.4.0.127.0.7.1.1.4.1.3`. */
  readonly signatureAlgorithm: string;
}

/** A SecurityInfo with a protocol this parser does not know. */
export interface UnknownSecurityInfo extends Base {
  readonly kind: 'unknown';
}

export type SecurityInfo =
  | ChipAuthenticationInfo
  | ChipAuthenticationPublicKeyInfo
  | ChipAuthenticationDomainParameterInfo
  | PACEInfo
  | PACEDomainParameterInfo
  | TerminalAuthenticationInfo
  | ActiveAuthenticationInfo
  | UnknownSecurityInfo;

/** Parsed DG14. */
export interface DG14 {
  /** Every SecurityInfo, in file order. */
  readonly securityInfos: SecurityInfo[];
  /** The ActiveAuthenticationInfo, when present. */
  readonly activeAuthentication?: ActiveAuthenticationInfo;
}

const BER = { der: false };

const fail = (rule: string): never => {
  throw new LDSError('ERR_DG14_INVALID', `dg14: ${rule}`);
};

const under = (oid: string, arc: string): number =>
  oid.startsWith(`${arc}.`) ? oid.slice(arc.length + 1).split('.').length : 0;

function optionalInt(n: Node | undefined): number | undefined {
  if (n === undefined) return undefined;
  return readInt(n);
}

function classify(node: Node): SecurityInfo {
  if (node.id !== TAG.SEQUENCE) fail('SecurityInfo is not a SEQUENCE');
  const [protocol, required, optional, ...extra] = children(node, BER);
  if (!protocol || !required) fail('SecurityInfo without protocol or required data');
  const oid = readOID(protocol as Node);
  const raw = node.raw;
  const req = required as Node;
  const known = (): void => {
    if (extra.length > 0) fail('SecurityInfo has unexpected extra elements');
  };
  if (oid === OID.idAA) {
    known();
    if (!optional) fail('ActiveAuthenticationInfo without signature algorithm');
    return {
      kind: 'activeAuthentication',
      oid,
      raw,
      version: readInt(req),
      signatureAlgorithm: readOID(optional as Node),
    };
  }
  if (oid === OID.idTA) {
    known();
    if (optional) readOctets(optional); // efCVCA FileID
    return { kind: 'terminalAuthentication', oid, raw, version: readInt(req) };
  }
  const pk = under(oid, '0.4.0.127.0.7.2.2.1');
  if (pk === 1) {
    known();
    if (req.id !== TAG.SEQUENCE) fail('chip authentication public key is not a SubjectPublicKeyInfo');
    const keyId = optionalInt(optional);
    return {
      kind: 'chipAuthenticationPublicKey',
      oid,
      raw,
      spki: req.raw,
      ...(keyId !== undefined ? { keyId } : {}),
    };
  }
  const ca = under(oid, OID.idCA);
  if (ca === 2) {
    known();
    const keyId = optionalInt(optional);
    return {
      kind: 'chipAuthentication',
      oid,
      raw,
      version: readInt(req),
      ...(keyId !== undefined ? { keyId } : {}),
    };
  }
  if (ca === 1) return { kind: 'chipAuthenticationDomainParameters', oid, raw };
  const pace = under(oid, OID.idPACE);
  if (pace === 2) {
    known();
    const parameterId = optionalInt(optional);
    return {
      kind: 'pace',
      oid,
      raw,
      version: readInt(req),
      ...(parameterId !== undefined ? { parameterId } : {}),
    };
  }
  if (pace === 1) return { kind: 'paceDomainParameters', oid, raw };
  return { kind: 'unknown', oid, raw };
}

/**
 * Parses DG14 into its SecurityInfos. Unknown protocols are kept as `{ kind: 'unknown', oid, raw }`;
 * a known protocol with a malformed body is an error.
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID`, `ERR_DG14_INVALID`
 * @example
 * const { securityInfos, activeAuthentication } = parseDG14(bytes);
 */
export function parseDG14(bytes: Uint8Array): DG14 {
  const outer = readLDSFile(bytes, LDS_TAG.DG14);
  return withLDSErrors('ERR_DG14_INVALID', 'dg14: malformed DG14', () => {
    const top = children(outer, BER);
    const set = top[0];
    if (!set || set.id !== TAG.SET || top.length !== 1) fail('expected one SET OF SecurityInfo');
    const securityInfos = children(set as Node, BER).map(classify);
    const aa = securityInfos.find((s): s is ActiveAuthenticationInfo => s.kind === 'activeAuthentication');
    return { securityInfos, ...(aa ? { activeAuthentication: aa } : {}) };
  });
}

/**
 * Parses a bare SecurityInfos SET (EF.CardAccess, Doc 9303 Part 11 §9.2.1; the content of
 * EF.CardSecurity), as DG14's: unknown protocols kept as `unknown`, malformed known ones refused.
 *
 * @throws LDSError `ERR_DG14_INVALID` when the bytes are not a SET OF SecurityInfo
 * @example
 * const infos = parseSecurityInfos(cardAccessBytes);
 * const pace = infos.filter((i) => i.kind === 'pace');
 */
export function parseSecurityInfos(bytes: Uint8Array): SecurityInfo[] {
  return withLDSErrors('ERR_DG14_INVALID', 'security infos: malformed SecurityInfos', () => {
    const set = readNode(bytes, 0, BER); // some chips pad EF.CardAccess after the SET
    if (set.id !== TAG.SET) fail('expected a SET OF SecurityInfo');
    return children(set, BER).map(classify);
  });
}

const AA_HASH: Record<string, HashName> = {
  [OID.ecdsaPlainSHA1]: 'SHA-1',
  [OID.ecdsaPlainSHA224]: 'SHA-224',
  [OID.ecdsaPlainSHA256]: 'SHA-256',
  [OID.ecdsaPlainSHA384]: 'SHA-384',
  [OID.ecdsaPlainSHA512]: 'SHA-512',
  [OID.ecdsaWithSHA1]: 'SHA-1',
  [OID.ecdsaWithSHA224]: 'SHA-224',
  [OID.ecdsaWithSHA256]: 'SHA-256',
  [OID.ecdsaWithSHA384]: 'SHA-384',
  [OID.ecdsaWithSHA512]: 'SHA-512',
};

/**
 * Hash for an ECDSA Active Authentication answer, from DG14's ActiveAuthenticationInfo
 * signatureAlgorithm. Without DG14 (or without the info) the default is SHA-256: Doc 9303 requires
 * the info for ECDSA chips, and SHA-256 is what chips without it use in practice.
 *
 * @throws LDSError `ERR_DG14_INVALID` when the info names an algorithm that is not ECDSA with SHA-1/2
 * @example
 * verifyActiveAuth({ publicKey, challenge, signature, hash: aaHashFromDG14(dg14) });
 */
export function aaHashFromDG14(dg14: DG14 | undefined): HashName {
  const info = dg14?.activeAuthentication;
  if (!info) return 'SHA-256';
  const h = AA_HASH[info.signatureAlgorithm];
  if (!h)
    throw new LDSError('ERR_DG14_INVALID', 'dg14: unsupported Active Authentication signature algorithm');
  return h;
}
