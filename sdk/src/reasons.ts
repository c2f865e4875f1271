/**
 * Reason codes — the stable vocabulary of check outcomes, shared by the SDK's passive/active
 * authentication reports, the sandbox profiles and the service's identity assertions.
 *
 * A relying party switches on these; never rename one. `docs/` explains what to do for each.
 */
export const REASONS = {
  // Passive authentication (Doc 9303 Part 11 §5.1, Part 12)
  sod_invalid: 'The SOD is not a well-formed CMS SignedData with an LDSSecurityObject.',
  sod_signed_attributes_invalid: 'The SOD signed attributes (content-type, message-digest) do not match.',
  sod_signature_invalid: 'The SOD signature does not verify with the Document Signer key.',
  ds_untrusted: 'The Document Signer certificate does not chain to a trusted CSCA.',
  ds_expired: 'The Document Signer certificate is outside its validity period.',
  ds_invalid: 'The Document Signer certificate is malformed or not fit for document signing.',
  ds_revoked: 'The Document Signer certificate is revoked by its CSCA CRL.',
  crl_unavailable:
    "No current CRL of the CSCA: the Document Signer's revocation status is unknown (where revocation checking is required).",
  csca_expired: 'The CSCA certificate is outside its validity period.',
  country_mismatch: 'The issuing state of the document does not match the CSCA/DS country.',
  dg_hash_mismatch: 'A data group does not hash to the value signed in the SOD.',
  dg_not_in_sod: 'A data group was supplied that the SOD does not list.',
  dg_malformed: 'A data group could not be parsed.',
  algorithm_unsupported: 'A signature or hash algorithm, or a key (type, curve or size), is not supported.',
  // Active authentication (Doc 9303 Part 11 §6.1) — clone detection
  aa_failed: 'The chip did not prove possession of the DG15 private key (possible clone).',
  aa_key_weak:
    'The DG15 Active Authentication key is too weak to prove anything (RSA under 1024 bits: factorable), so the chip could be a clone.',
  aa_not_supported:
    'The chip has no Active Authentication key (no DG15, none listed in its SOD): clone check impossible.',
  aa_not_performed:
    'The chip has Active Authentication but no answer to a server challenge was checked (none supplied, or DG15 left out of the read although the SOD lists it).',
  challenge_invalid: 'The challenge is unknown, expired, already used or issued to another client.',
  // Registry (the issuing authority's records)
  card_unknown: 'The document number is not in the registry.',
  card_revoked: 'The card has been revoked.',
  card_lost: 'The card has been reported lost or stolen.',
  card_replaced: 'The card has been replaced by a newer card.',
  card_expired: 'The card is past its date of expiry.',
  citizen_unknown: 'The citizen is not in the registry.',
  citizen_deceased: 'The citizen is recorded as deceased.',
  citizen_mismatch: 'The chip data (name, birth date or sex) does not match the registry.',
} as const;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** Overall outcome of a verification. */
export type VerificationResult = 'verified' | 'rejected' | 'inconclusive';
