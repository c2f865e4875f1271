/**
 * Passive authentication — Doc 9303 Part 11 §5.1 with the PKI of Part 12: the SOD is signed by a
 * Document Signer whose certificate chains to a trusted CSCA, and every data group read hashes to
 * the value the SOD signs. Each step is reported on its own with a stable reason code.
 *
 * Order of trust: only the trust store's CSCA keys are used before anything vouches for a key. The
 * DS certificate's chain is checked first (one CSCA signature, its verdict cached per DS); the SOD's
 * signature is checked with the DS key only once that chain holds — an untrusted key is never used.
 */
import { children, type Node, parseOne } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { icaoToAlpha2 } from '../icao/country.ts';
import type { ChipDump } from '../icao/dump.ts';
import { parseSOD, type SOD } from '../icao/sod.ts';
import { equalBytes, fromLatin1 } from '../lib/bytes.ts';
import type { ReasonCode } from '../reasons.ts';
import { type CRL, parseCRL } from './crl.ts';
import { type DigestMemo, digest, type HashName } from './hash.ts';
import { schemeName, signatureScheme, verifySignature } from './signature.ts';
import { type Certificate, readCertificates } from './x509.ts';

/** One step of a verification, e.g. `{ name: 'sod.signature', ok: false, code: 'sod_signature_invalid' }`. */
export interface Check {
  name: string;
  ok: boolean;
  code?: ReasonCode;
  /** Short explanation naming the rule (never personal data). */
  detail?: string;
  /**
   * The step was not run (`ok` is false): what it needed was not established, e.g. the SOD signature
   * when the Document Signer is untrusted, Active Authentication when passive authentication failed.
   */
  skipped?: true;
}

export interface PassiveAuthReport {
  valid: boolean;
  checks: Check[];
  sod: SOD | undefined;
  documentSigner: Certificate | undefined;
  csca: Certificate | undefined;
  /** Data groups present in the dump and covered by the SOD. */
  dataGroups: number[];
  /** Signature scheme of the SOD, e.g. `ecdsa-SHA-256`. */
  signatureAlgorithm: string | undefined;
}

/** Trust anchors of one environment with everything derivable from them cached. */
export interface TrustStore {
  readonly cscas: readonly Certificate[];
  readonly crls: readonly CRL[];
  /** @internal DS certificate (parsed once per DER, so one object per DS) → chain verdict. */
  readonly chainCache: Map<Certificate, Promise<ChainVerdict>>;
  /** @internal CRL verification, once per store. */
  crlsByIssuer: Promise<Map<string, CRL[]>> | undefined;
  /** @internal CSCAs by normalised subject name: the chain look-up stays O(1) with hundreds of CSCAs. */
  bySubject?: Map<string, Certificate[]>;
  /** @internal Link certificate → its verified path to a self-signed CSCA (undefined: none). */
  linkCache?: Map<Certificate, Promise<Certificate[] | undefined>>;
}

interface ChainVerdict {
  /** The certificate whose key signed the DS: a self-signed CSCA or a link certificate. */
  csca: Certificate | undefined;
  /** `csca` up to a self-signed CSCA: `[csca]`, or `[link, …, csca]` through link certificates. */
  path: Certificate[];
  /** Some CSCA with the DS issuer's name exists (else: foreign/unknown issuer). */
  issuerKnown: boolean;
}

export interface TrustStoreInput {
  /** CSCA certificates: DER bytes, PEM text (one or more blocks) or parsed certificates. */
  cscas: readonly (Uint8Array | string | Certificate)[];
  /** CRLs from the CSCAs: DER, PEM or parsed. */
  crls?: readonly (Uint8Array | string | CRL)[];
}

/**
 * Builds a trust store (parse once, reuse for every verification: chain verdicts are cached per
 * Document Signer certificate).
 *
 * @example
 * const trust = createTrustStore({ cscas: [cscaPem] });
 * const report = await verifyPassive(dump, { trust });
 */
export function createTrustStore(input: TrustStoreInput): TrustStore {
  const cscas = input.cscas.flatMap((c) => {
    if (c instanceof Uint8Array || typeof c === 'string') return readCertificates(c);
    if (c && typeof c === 'object' && 'subject' in c && 'publicKey' in c) return [c];
    throw new CryptoError(
      'ERR_CERT_INVALID',
      'trust store: a CSCA must be DER bytes, PEM text or a parsed certificate',
    );
  });
  const crls = (input.crls ?? []).map((c) => {
    if (c instanceof Uint8Array || typeof c === 'string') return parseCRL(c);
    if (c && typeof c === 'object' && 'revoked' in c && 'issuer' in c) return c;
    throw new CryptoError(
      'ERR_CRL_INVALID',
      'trust store: a CRL must be DER bytes, PEM text or a parsed CRL',
    );
  });
  return { cscas, crls, chainCache: new Map(), crlsByIssuer: undefined };
}

/** The store's subject-name index (built once; stores made by hand or by older code get one lazily). */
function subjectIndex(trust: TrustStore): Map<string, Certificate[]> {
  if (!trust.bySubject) {
    const index = new Map<string, Certificate[]>();
    for (const c of trust.cscas) {
      const list = index.get(c.subject.key);
      if (list) list.push(c);
      else index.set(c.subject.key, [c]);
    }
    trust.bySubject = index;
  }
  return trust.bySubject;
}

/** CSCAs named as `cert`'s issuer, narrowed by its authority key identifier when both sides have one. */
function issuerCandidates(trust: TrustStore, cert: Certificate): Certificate[] {
  return (subjectIndex(trust).get(cert.issuer.key) ?? []).filter(
    (c) => !cert.authorityKeyId || !c.subjectKeyId || equalBytes(cert.authorityKeyId, c.subjectKeyId),
  );
}

/**
 * A self-signed CSCA (Doc 9303 Part 12 §5.5.1): issued by its own name and, when both identifiers are
 * present, by its own key. Anything else in a trust store — a CSCA link certificate (the new key
 * certified by the old one, §5.5.2) — is trusted only through a path to a self-signed CSCA.
 */
function selfSigned(c: Certificate): boolean {
  return (
    c.issuer.key === c.subject.key &&
    (!c.authorityKeyId || !c.subjectKeyId || equalBytes(c.authorityKeyId, c.subjectKeyId))
  );
}

/** Whether `issuer`'s key signed `cert` (false for an algorithm it cannot check). */
export async function signs(issuer: Certificate, cert: Certificate): Promise<boolean> {
  try {
    return await verifySignature(
      issuer.publicKey,
      signatureScheme(cert.signatureAlgorithm),
      cert.tbs,
      cert.signature,
    );
  } catch {
    return false; // Unsupported algorithm for this candidate.
  }
}

/** Longest chain of link certificates followed (a rollover every few years; loops are cut anyway). */
const MAX_LINKS = 4;

/**
 * The path from a CSCA certificate of the store up to a self-signed CSCA: each link certificate signed
 * by its issuer's key, the issuer a CA with keyCertSign of the same country. Cached per certificate.
 */
function linkPath(trust: TrustStore, cert: Certificate, seen: ReadonlySet<Certificate> = new Set()) {
  if (selfSigned(cert)) return Promise.resolve([cert]);
  trust.linkCache ??= new Map();
  let p = trust.linkCache.get(cert);
  if (!p) {
    p = (async (): Promise<Certificate[] | undefined> => {
      if (seen.size >= MAX_LINKS) return undefined;
      const next = new Set(seen).add(cert);
      for (const issuer of issuerCandidates(trust, cert)) {
        if (next.has(issuer)) continue;
        if (issuer.basicConstraints?.ca !== true || issuer.keyUsage?.keyCertSign !== true) continue;
        if (issuer.subject.country !== cert.subject.country) continue;
        if (!(await signs(issuer, cert))) continue;
        const rest = await linkPath(trust, issuer, next);
        if (rest) return [cert, ...rest];
      }
      return undefined;
    })();
    // Only complete answers are cached: a path cut short by `seen` may exist from another start.
    if (seen.size === 0) trust.linkCache.set(cert, p);
  }
  return p;
}

export interface PassiveAuthOptions {
  /** A prepared trust store (preferred), or `cscas`/`crls` to build one for this call. */
  trust?: TrustStore;
  cscas?: TrustStoreInput['cscas'];
  crls?: TrustStoreInput['crls'];
  /** Validation time for certificate validity (default: now). */
  at?: Date;
  /** Data group hashes already computed for these very arrays are taken from here (see {@link DigestMemo}). */
  digests?: DigestMemo;
  /**
   * The Document Signer's revocation status. `if-available` (default): checked against the CSCA's CRLs
   * the trust store holds, when it holds any. `required`: a CSCA without a current CRL (thisUpdate ≤
   * at ≤ nextUpdate) fails `ds.revocation` with `crl_unavailable` — the status is unknown (RFC 5280
   * §6.3.3; Doc 9303 Part 11 §5.1 has the inspection system check the CRL). A listed serial is
   * `ds_revoked` either way, on any CRL of the CSCA, current or not.
   */
  revocation?: 'if-available' | 'required';
}

const withinValidity = (c: Certificate, at: Date) =>
  c.notBefore.getTime() <= at.getTime() && at.getTime() <= c.notAfter.getTime();

function chainVerdict(trust: TrustStore, ds: Certificate): Promise<ChainVerdict> {
  let v = trust.chainCache.get(ds);
  if (!v) {
    v = (async () => {
      // Self-signed CSCAs first: the shortest path wins over one through link certificates.
      const candidates = issuerCandidates(trust, ds).sort((a, b) => +selfSigned(b) - +selfSigned(a));
      for (const csca of candidates) {
        if (!(await signs(csca, ds))) continue;
        const path = await linkPath(trust, csca);
        if (path) return { csca, path, issuerKnown: true };
      }
      return { csca: undefined, path: [], issuerKnown: candidates.length > 0 };
    })();
    if (trust.chainCache.size > 4096) trust.chainCache.clear();
    trust.chainCache.set(ds, v);
  }
  return v;
}

/**
 * What makes a CSCA / Document Signer pair unfit for signing documents, per Doc 9303 Part 12 §7.1.1
 * (certificate profiles): key usage is mandatory — keyCertSign for the CSCA (a CA), digitalSignature
 * for the Document Signer (not a CA). `undefined` when fit.
 */
export function profileMisfit(csca: Certificate, ds: Certificate): string | undefined {
  if (csca.basicConstraints?.ca !== true || csca.keyUsage?.keyCertSign !== true)
    return 'csca: not a CA certificate with key usage keyCertSign';
  if (ds.basicConstraints?.ca === true || ds.keyUsage?.digitalSignature !== true)
    return 'ds: key usage missing or not allowing document signing';
  return undefined;
}

function verifiedCRLs(trust: TrustStore): Promise<Map<string, CRL[]>> {
  trust.crlsByIssuer ??= (async () => {
    const out = new Map<string, CRL[]>();
    for (const crl of trust.crls) {
      for (const csca of trust.cscas.filter((c) => c.subject.key === crl.issuer.key)) {
        let ok = false;
        try {
          ok = await verifySignature(
            csca.publicKey,
            signatureScheme(crl.signatureAlgorithm),
            crl.tbs,
            crl.signature,
          );
        } catch {
          ok = false;
        }
        if (ok) {
          const list = out.get(crl.issuer.key) ?? [];
          list.push(crl);
          out.set(crl.issuer.key, list);
          break;
        }
      }
    }
    return out;
  })();
  return trust.crlsByIssuer;
}

/** Issuing state (MRZ positions 3–5, the same in TD1/TD2/TD3) straight from DG1's 5F1F. */
function issuingStateOf(dg1: Uint8Array): string | undefined {
  try {
    const outer = parseOne(dg1, { der: false });
    const mrz = children(outer, { der: false }).find((n: Node) => n.id === 0x5f1f);
    return mrz ? fromLatin1(mrz.value.subarray(2, 5)) : undefined;
  } catch {
    return undefined;
  }
}

const DG_FILES = [
  ['dg1', 1],
  ['dg2', 2],
  ['dg13', 13],
  ['dg14', 14],
  ['dg15', 15],
] as const;

/**
 * Passive authentication of a chip dump.
 *
 * Never throws on bad chip data: malformed input is a failed check (`sod_invalid`…).
 *
 * @example
 * const report = await verifyPassive(parseDump(json), { cscas: [cscaPem], at: new Date() });
 * if (!report.valid) console.log(report.checks.filter((c) => !c.ok));
 */
export async function verifyPassive(dump: ChipDump, opts: PassiveAuthOptions): Promise<PassiveAuthReport> {
  const trust = opts.trust ?? createTrustStore({ cscas: opts.cscas ?? [], crls: opts.crls ?? [] });
  const at = opts.at ?? new Date();
  const checks: Check[] = [];
  const report: PassiveAuthReport = {
    valid: false,
    checks,
    sod: undefined,
    documentSigner: undefined,
    csca: undefined,
    dataGroups: [],
    signatureAlgorithm: undefined,
  };
  const fail = (name: string, code: ReasonCode, detail: string) =>
    checks.push({ name, ok: false, code, detail });
  const pass = (name: string, detail?: string) =>
    checks.push(detail ? { name, ok: true, detail } : { name, ok: true });

  let sod: SOD;
  try {
    sod = parseSOD(dump.sod);
  } catch (e) {
    // A key or hash the SDK refuses (an RSA Document Signer over 8192 bits, a curve given by unknown
    // explicit parameters…) is `algorithm_unsupported`, refused before any arithmetic on it.
    if (isChipIdError(e) && e.code === 'ERR_ALG_UNSUPPORTED')
      fail('sod.parse', 'algorithm_unsupported', e.message);
    else fail('sod.parse', 'sod_invalid', isChipIdError(e) ? e.message : 'sod: malformed');
    return report;
  }
  report.sod = sod;
  pass('sod.parse');

  // Data group hashes first: cheap, independent of the PKI.
  const memo = opts.digests;
  const dgDigest = memo ? (n: HashName, b: Uint8Array) => memo.digest(n, b) : digest;
  const hashing = Promise.all(
    DG_FILES.map(async ([key, n]) => {
      const bytes = dump[key];
      if (!bytes) return;
      const expected = sod.dataGroupHashes.get(n);
      if (!expected) return { n, listed: false, ok: false };
      return { n, listed: true, ok: equalBytes(await dgDigest(sod.hashAlgorithm, bytes), expected) };
    }),
  );

  const ds = sod.documentSigner;
  const si = sod.signerInfo;
  if (!ds) {
    fail('ds.present', 'ds_invalid', 'sod: no Document Signer certificate matches the SignerInfo');
  } else {
    report.documentSigner = ds;
    pass('ds.present');
  }

  // Signed attributes: content-type and message-digest (RFC 5652 §5.3, §11.1–11.2).
  let attrsOk = false;
  if (!si.signedAttributes || si.contentType !== OID.ldsSecurityObject || !si.messageDigest) {
    fail(
      'sod.signed-attributes',
      'sod_signed_attributes_invalid',
      'sod: signed attributes missing or wrong content type',
    );
  } else if (!equalBytes(await digest(si.digestAlgorithm, sod.eContent), si.messageDigest)) {
    fail(
      'sod.signed-attributes',
      'sod_signed_attributes_invalid',
      'sod: message-digest does not match the content',
    );
  } else {
    attrsOk = true;
    pass('sod.signed-attributes');
  }

  if (ds) {
    // The chain DS → CSCA first (a trusted CSCA's signature on the DS certificate, cached per DS): the
    // DS key, which comes with the chip data, is used only once a trusted CSCA vouches for it.
    const verdict = await chainVerdict(trust, ds);
    const csca = verdict.csca;

    // The SOD signature.
    try {
      const scheme = signatureScheme(si.signatureAlgorithm, si.digestAlgorithm);
      report.signatureAlgorithm = schemeName(scheme);
      if (!csca)
        checks.push({
          name: 'sod.signature',
          ok: false,
          skipped: true,
          detail: 'not checked: the Document Signer is not trusted (ds.chain)',
        });
      else if (attrsOk && (await verifySignature(ds.publicKey, scheme, si.signedAttributes!, si.signature)))
        pass('sod.signature');
      else
        fail(
          'sod.signature',
          'sod_signature_invalid',
          'sod: signature does not verify with the Document Signer key',
        );
    } catch (e) {
      fail(
        'sod.signature',
        'algorithm_unsupported',
        isChipIdError(e) ? e.message : 'sod: unsupported signature',
      );
    }

    if (!csca) {
      fail(
        'ds.chain',
        'ds_untrusted',
        verdict.issuerKnown
          ? 'ds: certificate signature does not verify with the trusted CSCA'
          : 'ds: issuer is not a trusted CSCA',
      );
    } else {
      report.csca = csca;
      const links = verdict.path.length - 1;
      pass('ds.chain', links ? `through ${links} CSCA link certificate${links > 1 ? 's' : ''}` : undefined);
      // RFC 5280 §6.1.3: every certificate of the path, link certificates and their CSCA included.
      if (verdict.path.every((c) => withinValidity(c, at))) pass('csca.validity');
      else fail('csca.validity', 'csca_expired', 'csca: outside its validity period at the validation time');
      const misfit = profileMisfit(csca, ds);
      if (misfit) fail('ds.profile', 'ds_invalid', misfit);
      else pass('ds.profile');
      const crls = (await verifiedCRLs(trust)).get(csca.subject.key) ?? [];
      const t = at.getTime();
      const current = crls.some(
        (c) => c.thisUpdate.getTime() <= t && (!c.nextUpdate || t <= c.nextUpdate.getTime()),
      );
      if (crls.some((c) => c.revoked.has(ds.serialHex)))
        fail('ds.revocation', 'ds_revoked', 'ds: serial number is on the CSCA CRL');
      else if (current) pass('ds.revocation', 'not on the CSCA CRL');
      else if (opts.revocation === 'required')
        fail(
          'ds.revocation',
          'crl_unavailable',
          crls.length
            ? 'crl: no CRL of the CSCA is current at the validation time'
            : 'crl: the trust store has no CRL of the CSCA',
        );
      else if (crls.length) pass('ds.revocation', 'not on the CSCA CRL (not current at the validation time)');
    }
    if (withinValidity(ds, at)) pass('ds.validity');
    else fail('ds.validity', 'ds_expired', 'ds: outside its validity period at the validation time');

    // Country: DG1 issuing state ↔ DS ↔ CSCA (Part 12 §5: a CSCA signs for its own state only).
    const state = issuingStateOf(dump.dg1);
    const alpha2 = state ? icaoToAlpha2(state) : undefined;
    const dsC = ds.subject.country;
    const cscaC = csca?.subject.country;
    if (!alpha2) fail('country', 'country_mismatch', 'dg1: issuing state is not a known country code');
    else if (dsC !== alpha2 || (cscaC !== undefined && cscaC !== alpha2) || ds.issuer.country !== alpha2)
      fail('country', 'country_mismatch', 'issuing state does not match the DS/CSCA country');
    else pass('country');
  }

  const hashes = await hashing;
  for (const h of hashes) {
    if (!h) continue;
    if (!h.listed) fail(`dg${h.n}.hash`, 'dg_not_in_sod', `dg${h.n}: not listed in the SOD`);
    else if (!h.ok) fail(`dg${h.n}.hash`, 'dg_hash_mismatch', `dg${h.n}: hash does not match the SOD`);
    else {
      pass(`dg${h.n}.hash`);
      report.dataGroups.push(h.n);
    }
  }
  report.valid = checks.every((c) => c.ok);
  return report;
}
