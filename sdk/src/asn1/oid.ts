/** Object identifiers used by ICAO Doc 9303 Parts 10–12, RFC 5652 (CMS), RFC 5280/4055/5480/5639. */
export const OID = {
  // ICAO Doc 9303 Part 10/12
  ldsSecurityObject: '2.23.136.1.1.1',
  /** id-icao-cscaMasterList (Part 12 §9) and the Master List Signer's extended key usage. */
  cscaMasterList: '2.23.136.1.1.2',
  cscaMasterListSigningKey: '2.23.136.1.1.3',
  // CMS (RFC 5652)
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // Hashes
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // RSA (RFC 8017 / RFC 4055)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  // EC (RFC 5480 / RFC 5758 / BSI TR-03111)
  ecPublicKey: '1.2.840.10045.2.1',
  primeField: '1.2.840.10045.1.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA224: '1.2.840.10045.4.3.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  // BSI TR-03111 plain ECDSA signatures (used by some AA / CA implementations)
  ecdsaPlainSHA1: '0.4.0.127.0.7.1.1.4.1.1',
  ecdsaPlainSHA224: '0.4.0.127.0.7.1.1.4.1.2',
  ecdsaPlainSHA256: '0.4.0.127.0.7.1.1.4.1.3',
  ecdsaPlainSHA384: '0.4.0.127.0.7.1.1.4.1.4',
  ecdsaPlainSHA512: '0.4.0.127.0.7.1.1.4.1.5',
  // Named curves
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
  brainpoolP384r1: '1.3.36.3.3.2.8.1.1.11',
  brainpoolP512r1: '1.3.36.3.3.2.8.1.1.13',
  // X.500 attribute types
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  // X.509 extensions (RFC 5280)
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  crlNumber: '2.5.29.20',
  // ICAO Doc 9303 Part 11 §9.2 — security infos in DG14 / EF.CardAccess (BSI TR-03110 arcs)
  idPK_DH: '0.4.0.127.0.7.2.2.1.1',
  idPK_ECDH: '0.4.0.127.0.7.2.2.1.2',
  idCA: '0.4.0.127.0.7.2.2.3',
  idPACE: '0.4.0.127.0.7.2.2.4',
  idTA: '0.4.0.127.0.7.2.2.2',
  // ICAO Doc 9303 Part 11 §6.1 — Active Authentication info in DG14
  idAA: '2.23.136.1.1.5',
} as const;

export type OIDName = keyof typeof OID;

const NAMES = new Map<string, OIDName>(Object.entries(OID).map(([k, v]) => [v, k as OIDName]));

/** Friendly name of an OID, or the dotted form when unknown. */
export function oidName(oid: string): string {
  return NAMES.get(oid) ?? oid;
}
