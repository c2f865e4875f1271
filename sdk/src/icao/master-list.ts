/**
 * CSCA master lists — ICAO Doc 9303 Part 12 §9: a CMS SignedData (RFC 5652) whose encapsulated
 * content (eContentType id-icao-cscaMasterList 2.23.136.1.1.2) is
 * `CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0), certList SET OF Certificate }`,
 * signed by a Master List Signer (key usage digitalSignature, extended key usage
 * id-icao-cscaMasterListSigningKey 2.23.136.1.1.3) whose certificate is issued by the publishing
 * state's CSCA. The list is only as trustworthy as that CSCA: the operator names it (`roots`).
 */
import { children, parseOne, Reader, readInt, readOID, TAG } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { digest } from '../crypto/hash.ts';
import { signs } from '../crypto/passive-auth.ts';
import { schemeName, signatureScheme, verifySignature } from '../crypto/signature.ts';
import { type Certificate, parseCertificate, readCertificates } from '../crypto/x509.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { equalBytes, fromBase64 } from '../lib/bytes.ts';
import { parseSignedData, type SignedDataFault, type SignerInfo } from './sod.ts';

/**
 * Outcome codes of {@link verifyMasterList}'s checks. Stable: operators' tooling switches on them.
 * (They describe a trust-list import, never a document, so they are apart from `REASONS`.)
 */
export const MASTER_LIST_CODES = {
  ml_invalid: 'The file is not a CMS SignedData holding a CscaMasterList (Doc 9303 Part 12 §9).',
  ml_content_type_invalid:
    'The signed content-type attribute is not id-icao-cscaMasterList (2.23.136.1.1.2).',
  ml_signed_attributes_invalid:
    'The signed attributes are missing, or message-digest does not match the list content.',
  ml_signer_missing:
    'The SignedData carries no certificate matching its SignerInfo (the Master List Signer).',
  ml_signature_invalid: "The signature does not verify with the Master List Signer's key.",
  ml_algorithm_unsupported: 'The signature algorithm (or a key) is not supported.',
  ml_signer_untrusted: 'The Master List Signer certificate is not issued by any of the given roots.',
  ml_signer_expired: 'The Master List Signer certificate is outside its validity period.',
  ml_root_expired: "The root (the publishing state's CSCA) is outside its validity period.",
  ml_signer_invalid:
    'The Master List Signer certificate is not fit for signing master lists (key usage digitalSignature, extended key usage 2.23.136.1.1.3, not a CA), or its root is not a CA with keyCertSign.',
} as const;

export type MasterListCode = keyof typeof MASTER_LIST_CODES;

/** One step of a master-list verification, e.g. `{ name: 'ml.signature', ok: true }`. */
export interface MasterListCheck {
  name: string;
  ok: boolean;
  code?: MasterListCode;
  /** Short explanation naming the rule. */
  detail?: string;
}

/** A parsed CSCA master list. Nothing in it is trusted before {@link verifyMasterList} says so. */
export interface MasterList {
  raw: Uint8Array;
  /** CscaMasterList version (0 is the only one defined). */
  version: number;
  /** The DER CscaMasterList (what the signed message-digest covers). */
  eContent: Uint8Array;
  signerInfo: SignerInfo;
  /** The Master List Signer certificate (the CMS certificate the SignerInfo names). */
  signer: Certificate | undefined;
  /** Every certificate of the CMS `certificates` field (the signer and, usually, its CSCA). */
  certificates: Certificate[];
  /** The `signingTime` signed attribute: the list's issue date, when present. */
  signingTime: Date | undefined;
  /** The CSCA certificates of the list (self-signed CSCAs and link certificates), in list order. */
  cscas: Certificate[];
  /** List entries that are not certificates this SDK can read (kept out of `cscas`). */
  unreadable: { index: number; detail: string }[];
}

const LAX = { der: false } as const;
const fault: SignedDataFault = (detail) => new CryptoError('ERR_MASTERLIST_INVALID', `masterlist: ${detail}`);

/**
 * Parses a CSCA master list (DER `.ml` file, or PEM `CMS`/`PKCS7` text).
 *
 * @throws CryptoError `ERR_MASTERLIST_INVALID` when the file is not a CscaMasterList SignedData.
 * @example
 * const ml = parseMasterList(new Uint8Array(readFileSync('DE_ML_2026-05-28.ml')));
 * ml.cscas.length; // 588
 */
export function parseMasterList(input: Uint8Array | string): MasterList {
  try {
    const der = typeof input === 'string' ? pemMasterList(input) : input;
    const sd = parseSignedData(der, { oid: OID.cscaMasterList, name: 'a CscaMasterList' }, fault);
    const r = Reader.of(sd.eContent, TAG.SEQUENCE, LAX);
    const version = readInt(r.next(TAG.INTEGER));
    if (version !== 0) throw fault('CscaMasterList version must be v0');
    const certList = r.next(TAG.SET);
    r.end();
    const cscas: Certificate[] = [];
    const unreadable: MasterList['unreadable'] = [];
    children(certList, LAX).forEach((node, index) => {
      try {
        cscas.push(parseCertificate(node.raw));
      } catch (e) {
        // One certificate this SDK cannot read (an unsupported key type) does not make the rest unusable.
        unreadable.push({ index, detail: isChipIdError(e) ? e.message : 'certificate: malformed' });
      }
    });
    return {
      raw: der,
      version,
      eContent: sd.eContent,
      signerInfo: sd.signerInfo,
      signer: sd.signer,
      certificates: sd.certificates,
      signingTime: sd.signerInfo.signingTime,
      cscas,
      unreadable,
    };
  } catch (e) {
    if (isChipIdError(e) && e.code === 'ERR_MASTERLIST_INVALID') throw e;
    throw new CryptoError('ERR_MASTERLIST_INVALID', 'masterlist: malformed', { cause: e });
  }
}

function pemMasterList(text: string): Uint8Array {
  const m = /-----BEGIN (CMS|PKCS7)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw fault('no CMS or PKCS7 PEM block');
  return fromBase64(m[2]!.replace(/\s+/g, ''));
}

/** The result of {@link verifyMasterList}. */
export interface MasterListReport {
  /** Every check passed: the CSCAs may be trusted as far as the root is. */
  valid: boolean;
  checks: MasterListCheck[];
  masterList: MasterList | undefined;
  signer: Certificate | undefined;
  /** The root that issued the signer. */
  root: Certificate | undefined;
  /** The list's CSCAs when `valid`, else empty (never use CSCAs of a list that failed). */
  cscas: Certificate[];
  /** Signature scheme of the list, e.g. `ecdsa-SHA-256`. */
  signatureAlgorithm: string | undefined;
}

export interface MasterListOptions {
  /** The publishing state's CSCA certificate(s), named by the operator: DER, PEM or parsed. */
  roots: readonly (Uint8Array | string | Certificate)[];
  /** Validation time for the signer's and the root's validity (default: now). */
  at?: Date;
}

const within = (c: Certificate, at: Date) =>
  c.notBefore.getTime() <= at.getTime() && at.getTime() <= c.notAfter.getTime();

/** Extended key usage purposes (RFC 5280 §4.2.1.12), or undefined without the extension. */
function extendedKeyUsage(cert: Certificate): string[] | undefined {
  const ext = cert.extensions.find((e) => e.oid === OID.extKeyUsage);
  if (!ext) return undefined;
  try {
    return children(parseOne(ext.value, LAX), LAX).map((n) => readOID(n));
  } catch {
    return [];
  }
}

/** Why `signer` (under `root`) may not sign master lists (Doc 9303 Part 12 §7.1.1), or undefined. */
function signerMisfit(signer: Certificate, root: Certificate): string | undefined {
  if (root.basicConstraints?.ca !== true || root.keyUsage?.keyCertSign !== true)
    return 'root: not a CA certificate with key usage keyCertSign';
  if (signer.basicConstraints?.ca === true || signer.keyUsage?.digitalSignature !== true)
    return 'signer: key usage missing or not allowing digitalSignature';
  if (!extendedKeyUsage(signer)?.includes(OID.cscaMasterListSigningKey))
    return 'signer: extended key usage lacks id-icao-cscaMasterListSigningKey (2.23.136.1.1.3)';
  return undefined;
}

/** Longest run of link certificates followed from the signer's issuer to a root. */
const MAX_LINKS = 3;

/**
 * The certificates from `cert`'s issuer up to one of `roots`: `[root]`, or `[link, …, root]` through
 * link certificates of `pool` — each a CA with keyCertSign, issued within its own country, signed by
 * the next. Each (certificate, issuer) signature is checked once.
 */
async function pathToRoot(
  cert: Certificate,
  roots: readonly Certificate[],
  pool: readonly Certificate[],
): Promise<Certificate[] | undefined> {
  const memo = new Map<Certificate, Map<Certificate, Promise<boolean>>>();
  const signs = (issuer: Certificate, c: Certificate) => {
    let m = memo.get(c);
    if (!m) {
      m = new Map();
      memo.set(c, m);
    }
    let v = m.get(issuer);
    if (!v) {
      v = issuedBy(c, issuer);
      m.set(issuer, v);
    }
    return v;
  };
  const walk = async (c: Certificate, seen: ReadonlySet<Certificate>): Promise<Certificate[] | undefined> => {
    for (const r of roots) if (await signs(r, c)) return [r];
    if (seen.size > MAX_LINKS) return undefined;
    for (const link of pool) {
      if (link === c || seen.has(link)) continue;
      if (link.basicConstraints?.ca !== true || link.keyUsage?.keyCertSign !== true) continue;
      if (link.subject.country !== link.issuer.country) continue;
      if (!(await signs(link, c))) continue;
      const rest = await walk(link, new Set(seen).add(link));
      if (rest) return [link, ...rest];
    }
    return undefined;
  };
  return walk(cert, new Set([cert]));
}

async function issuedBy(cert: Certificate, issuer: Certificate): Promise<boolean> {
  if (cert.issuer.key !== issuer.subject.key) return false;
  if (cert.authorityKeyId && issuer.subjectKeyId && !equalBytes(cert.authorityKeyId, issuer.subjectKeyId))
    return false;
  return signs(issuer, cert);
}

/**
 * Verifies a CSCA master list against the root(s) the operator trusts: content type, signed attributes
 * and signature (RFC 5652 §5.4–5.6), the Master List Signer's certificate issued by a root, both within
 * validity at `at`, and the signer's key usage. Never throws on bad list data: each failure is a check
 * with a stable {@link MasterListCode}.
 *
 * @example
 * const report = await verifyMasterList(mlBytes, { roots: [germanyRootDer] });
 * if (report.valid) trust = createTrustStore({ cscas: report.cscas });
 */
export async function verifyMasterList(
  input: MasterList | Uint8Array | string,
  opts: MasterListOptions,
): Promise<MasterListReport> {
  const at = opts.at ?? new Date();
  const checks: MasterListCheck[] = [];
  const report: MasterListReport = {
    valid: false,
    checks,
    masterList: undefined,
    signer: undefined,
    root: undefined,
    cscas: [],
    signatureAlgorithm: undefined,
  };
  const fail = (name: string, code: MasterListCode, detail: string) =>
    checks.push({ name, ok: false, code, detail });
  const pass = (name: string, detail?: string) =>
    checks.push(detail ? { name, ok: true, detail } : { name, ok: true });

  let ml: MasterList;
  try {
    ml = input instanceof Uint8Array || typeof input === 'string' ? parseMasterList(input) : input;
  } catch (e) {
    fail('ml.parse', 'ml_invalid', isChipIdError(e) ? e.message : 'masterlist: malformed');
    return report;
  }
  report.masterList = ml;
  pass(
    'ml.parse',
    `${ml.cscas.length} certificates${ml.unreadable.length ? `, ${ml.unreadable.length} unreadable (skipped)` : ''}`,
  );

  const si = ml.signerInfo;
  if (si.contentType !== OID.cscaMasterList)
    fail(
      'ml.content-type',
      'ml_content_type_invalid',
      'masterlist: the signed content-type is not id-icao-cscaMasterList',
    );
  else pass('ml.content-type');

  let attrsOk = false;
  if (!si.signedAttributes || !si.messageDigest)
    fail('ml.signed-attributes', 'ml_signed_attributes_invalid', 'masterlist: signed attributes missing');
  else if (!equalBytes(await digest(si.digestAlgorithm, ml.eContent), si.messageDigest))
    fail(
      'ml.signed-attributes',
      'ml_signed_attributes_invalid',
      'masterlist: message-digest does not match the content',
    );
  else {
    attrsOk = true;
    pass('ml.signed-attributes');
  }

  const signer = ml.signer;
  if (!signer) {
    fail('ml.signer.present', 'ml_signer_missing', 'masterlist: no certificate matches the SignerInfo');
  } else {
    report.signer = signer;
    pass('ml.signer.present');
    try {
      const scheme = signatureScheme(si.signatureAlgorithm, si.digestAlgorithm);
      report.signatureAlgorithm = schemeName(scheme);
      const ok =
        attrsOk && (await verifySignature(signer.publicKey, scheme, si.signedAttributes!, si.signature));
      if (ok) pass('ml.signature');
      else
        fail(
          'ml.signature',
          'ml_signature_invalid',
          "masterlist: signature does not verify with the signer's key",
        );
    } catch (e) {
      fail(
        'ml.signature',
        'ml_algorithm_unsupported',
        isChipIdError(e) ? e.message : 'masterlist: unsupported signature',
      );
    }

    let roots: Certificate[] = [];
    try {
      roots = opts.roots.flatMap((r) =>
        r instanceof Uint8Array || typeof r === 'string' ? readCertificates(r) : [r],
      );
    } catch (e) {
      fail(
        'ml.signer.chain',
        'ml_signer_untrusted',
        isChipIdError(e) ? `root: ${e.message}` : 'root: unreadable certificate',
      );
    }
    // The signer's issuer up to a root: directly, or through CSCA link certificates the list carries
    // (a rollover of the publishing state's CSCA: the new key certified by the old, Part 12 §5.5).
    const path = await pathToRoot(signer, roots, [...ml.certificates, ...ml.cscas]);
    if (!path) {
      if (!checks.some((c) => c.name === 'ml.signer.chain'))
        fail(
          'ml.signer.chain',
          'ml_signer_untrusted',
          'masterlist: the signer is not issued by a given root',
        );
    } else {
      const root = path[path.length - 1]!;
      report.root = root;
      const links = path.length - 1;
      pass(
        'ml.signer.chain',
        links ? `through ${links} CSCA link certificate${links > 1 ? 's' : ''}` : undefined,
      );
      if (path.every((c) => within(c, at))) pass('ml.root.validity');
      else
        fail(
          'ml.root.validity',
          'ml_root_expired',
          'root: outside its validity period at the validation time',
        );
      const misfit = signerMisfit(signer, path[0]!);
      if (misfit) fail('ml.signer.profile', 'ml_signer_invalid', misfit);
      else pass('ml.signer.profile');
    }
    if (within(signer, at)) pass('ml.signer.validity');
    else
      fail(
        'ml.signer.validity',
        'ml_signer_expired',
        'signer: outside its validity period at the validation time',
      );
  }

  report.valid = checks.every((c) => c.ok);
  if (report.valid) report.cscas = ml.cscas;
  return report;
}
