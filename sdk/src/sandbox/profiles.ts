/**
 * Sandbox profiles — one named chip per outcome the chipid service can give, with the outcome it must
 * give (`verified` / `rejected` / `inconclusive` and the reason codes of `reasons.ts`).
 *
 * The expected reasons name the check the profile breaks on purpose; everything else on the chip is
 * genuine. The service stops trusting chip data once passive authentication fails, so a tampered chip
 * is reported by its passive-authentication reason only.
 */
import type { ReasonCode, VerificationResult } from '../reasons.ts';

/** Every profile name (contract: CLI `--profile`, registry seed, service tests). */
export const PROFILE_NAMES = [
  'valid',
  'valid-brainpool',
  'valid-rsa',
  'valid-legacy-record',
  'tampered-dg1',
  'tampered-dg13',
  'bad-sod-signature',
  'expired-ds',
  'foreign-csca',
  'wrong-country',
  'revoked-card',
  'replaced-card',
  'lost-card',
  'expired-card',
  'deceased',
  'name-mismatch',
  'clone',
  'no-aa',
  'valid-jp2',
  'valid-large-dg2',
] as const;

export type ProfileName = (typeof PROFILE_NAMES)[number];

/** What the service must answer for a profile's chip (with a fresh challenge answered by its virtual chip). */
export interface ExpectedOutcome {
  result: VerificationResult;
  reasons: ReasonCode[];
}

/** A profile as published (`chipid sandbox profiles`). */
export interface Profile {
  name: ProfileName;
  description: string;
  expected: ExpectedOutcome;
}

/** Which Document Signer signs the SOD. */
export type DSChoice = 'p256' | 'brainpoolP256r1' | 'rsa' | 'expired' | 'foreign';
/** Which Active Authentication key the chip holds (`none`: no DG15). */
export type AAChoice = 'p256' | 'brainpoolP256r1' | 'rsa1024' | 'none';

/** How the factory builds a profile's chip. */
export interface ProfileRecipe {
  ds: DSChoice;
  aa: AAChoice;
  /** The virtual chip answers with a key other than DG15's. */
  clone?: boolean;
  /** What is broken after signing. */
  tamper?: 'dg1' | 'dg13' | 'signature';
  /** DG1 issuing state (default `VNM`). */
  issuingState?: string;
  /** DG2 face encoding (default `jpeg`). */
  face?: 'jpeg' | 'jp2';
  /** Pad the DG2 face to at least this many bytes (a high-resolution capture's size). */
  faceSize?: number;
}

const ok = (): ExpectedOutcome => ({ result: 'verified', reasons: [] });
const rejected = (reason: ReasonCode): ExpectedOutcome => ({ result: 'rejected', reasons: [reason] });

/** Profiles: description, expected outcome and recipe. */
export const PROFILES: Record<ProfileName, Profile & { recipe: ProfileRecipe }> = {
  valid: {
    name: 'valid',
    description:
      'Genuine card: P-256 Document Signer, P-256 Active Authentication key, citizen alive, card active.',
    expected: ok(),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'valid-brainpool': {
    name: 'valid-brainpool',
    description:
      'Genuine card signed by a brainpoolP256r1 Document Signer, with a brainpoolP256r1 Active Authentication key.',
    expected: ok(),
    recipe: { ds: 'brainpoolP256r1', aa: 'brainpoolP256r1' },
  },
  'valid-rsa': {
    name: 'valid-rsa',
    description:
      'Genuine card signed by an RSA-2048 Document Signer (sha256WithRSAEncryption), RSA-1024 Active Authentication (ISO/IEC 9796-2 scheme 1).',
    expected: ok(),
    recipe: { ds: 'rsa', aa: 'rsa1024' },
  },
  'valid-legacy-record': {
    name: 'valid-legacy-record',
    description:
      'Genuine card whose registry record is a legacy one holding only the birth year: the birth-date match must accept a year-only record.',
    expected: ok(),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'tampered-dg1': {
    name: 'tampered-dg1',
    description:
      'DG1 altered after signing: the date of expiry pushed 10 years later with the MRZ check digits recomputed, so the MRZ alone looks valid.',
    expected: rejected('dg_hash_mismatch'),
    recipe: { ds: 'p256', aa: 'p256', tamper: 'dg1' },
  },
  'tampered-dg13': {
    name: 'tampered-dg13',
    description: 'DG13 altered after signing: the place of residence replaced (a forged proof of address).',
    expected: rejected('dg_hash_mismatch'),
    recipe: { ds: 'p256', aa: 'p256', tamper: 'dg13' },
  },
  'bad-sod-signature': {
    name: 'bad-sod-signature',
    description: 'One bit of the SOD signature flipped: the Document Signer signature does not verify.',
    expected: rejected('sod_signature_invalid'),
    recipe: { ds: 'p256', aa: 'p256', tamper: 'signature' },
  },
  'expired-ds': {
    name: 'expired-ds',
    description:
      'SOD signed by a Document Signer of the sandbox CSCA whose certificate expired on 2024-01-01.',
    expected: rejected('ds_expired'),
    recipe: { ds: 'expired', aa: 'p256' },
  },
  'foreign-csca': {
    name: 'foreign-csca',
    description:
      'SOD signed by a Document Signer issued by another CSCA ("chipid Sandbox Foreign CSCA", same country VN) that no trust store holds.',
    expected: rejected('ds_untrusted'),
    recipe: { ds: 'foreign', aa: 'p256' },
  },
  'wrong-country': {
    name: 'wrong-country',
    description:
      "DG1 names Laos (LAO) as issuing state while the Document Signer and CSCA are Vietnamese (VN): a document claiming to be issued by one state but signed under another state's CSCA.",
    expected: rejected('country_mismatch'),
    recipe: { ds: 'p256', aa: 'p256', issuingState: 'LAO' },
  },
  'revoked-card': {
    name: 'revoked-card',
    description: 'Genuine chip; the registry records the card as revoked.',
    expected: rejected('card_revoked'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'replaced-card': {
    name: 'replaced-card',
    description:
      "Genuine chip of an older card; the registry records it as replaced and the citizen's current card is a newer one.",
    expected: rejected('card_replaced'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'lost-card': {
    name: 'lost-card',
    description: 'Genuine chip; the registry records the card as reported lost.',
    expected: rejected('card_lost'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'expired-card': {
    name: 'expired-card',
    description:
      'Genuine chip of a card past its date of expiry (renewal age 25 reached on 2025-02-15); the registry still lists it as active.',
    expected: rejected('card_expired'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  deceased: {
    name: 'deceased',
    description: 'Genuine chip; the registry records the citizen as deceased.',
    expected: rejected('citizen_deceased'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  'name-mismatch': {
    name: 'name-mismatch',
    description: "Genuine chip; the registry's full name for the citizen differs from the chip's.",
    expected: rejected('citizen_mismatch'),
    recipe: { ds: 'p256', aa: 'p256' },
  },
  clone: {
    name: 'clone',
    description:
      'Genuine data copied onto another chip: passive authentication passes, but the chip answers Active Authentication with a key other than the one in DG15.',
    expected: { result: 'inconclusive', reasons: ['aa_failed'] },
    recipe: { ds: 'p256', aa: 'p256', clone: true },
  },
  'no-aa': {
    name: 'no-aa',
    description:
      'Genuine chip without Active Authentication: no DG15 (and none in the SOD or EF.COM), so no clone check is possible.',
    expected: { result: 'inconclusive', reasons: ['aa_not_supported'] },
    recipe: { ds: 'p256', aa: 'none' },
  },
  'valid-jp2': {
    name: 'valid-jp2',
    description:
      'Genuine card whose DG2 face is JPEG 2000 (a JP2 file, as most passports encode it): with the `portrait` scope the service delivers it converted to JPEG.',
    expected: ok(),
    recipe: { ds: 'p256', aa: 'p256', face: 'jp2' },
  },
  'valid-large-dg2': {
    name: 'valid-large-dg2',
    description:
      'Genuine card with a large DG2 (the JPEG face padded to 120 000 bytes, as a high-resolution capture): transport, hashing and the `portrait` scope at that size.',
    expected: ok(),
    recipe: { ds: 'p256', aa: 'p256', faceSize: 120_000 },
  },
};

/** Whether `name` is a profile name. */
export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/**
 * The published profiles (name, description, expected outcome), in a stable order.
 *
 * @example
 * for (const p of listProfiles()) console.log(p.name, p.expected.result, p.expected.reasons);
 */
export function listProfiles(): Profile[] {
  return PROFILE_NAMES.map((n) => {
    const { name, description, expected } = PROFILES[n];
    return { name, description, expected: { result: expected.result, reasons: [...expected.reasons] } };
  });
}
