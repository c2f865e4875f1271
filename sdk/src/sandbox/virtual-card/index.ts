/**
 * The APDU-level virtual chip of a sandbox card — ICAO Doc 9303 Part 11 (BAC §4.3, PACE §4.4, Chip
 * Authentication §6.2, Active Authentication §6.1, secure messaging §9.8) over ISO/IEC 7816-4 APDUs.
 *
 * `virtualCard(card)` turns any sandbox card (`makeCard`) into a chip that `readChip` reads as it reads a
 * real one: the dump's files byte for byte, plus EF.CardAccess. Chip set-ups (`profile`):
 * - `cccd` (default) — as Vietnam's CCCD: EF.CardAccess byte-identical to the cards' (PACE ECDH-GM
 *   brainpoolP256r1 AES-128, Chip Authentication ECDH AES-128, Terminal Authentication info); SELECT MF
 *   answers 6D00; PACE with the CAN (last 6 digits of the 12-digit id); PACE with the MRZ key refused
 *   with 6982, as several CCCDs do; BAC with the MRZ key accepted; short APDUs only.
 * - `bac` — a BAC-only passport chip (no EF.CardAccess), SELECT MF 9000.
 * - `pace-gm` / `pace-im` / `pace-cam` / `pace-dh` / `pace-3des` — textbook PACE chips (CAN and MRZ
 *   accepted, BAC too): ECDH-GM brainpoolP256r1 AES-128, ECDH-IM brainpoolP256r1 AES-128, ECDH-CAM P-256
 *   AES-128 (the card's CA key curve), DH-GM MODP-2048-256 AES-128, ECDH-GM brainpoolP256r1 3DES.
 * `pace` overrides the mapping, curve / group and cipher. Chip Authentication uses the key DG14 announces
 * (P-256, id-CA-ECDH-AES-CBC-CMAC-128); Active Authentication the card's `VirtualChip`.
 */
import { ChipIdError } from '../../errors.ts';
import { fromBase64 } from '../../lib/bytes.ts';
import type { SMCipher } from '../../reader/crypto/kdf.ts';
import { makeCard, type SandboxCard } from '../factory.ts';
import { SANDBOX_OID } from '../lds.ts';
import { isProfileName, PROFILE_NAMES, type ProfileName } from '../profiles.ts';
import { createRandom } from '../random.ts';
import {
  type LDSFileName,
  VirtualCard,
  type VirtualCardFaults,
  type VirtualCardImage,
  type VirtualCardSetup,
} from './card.ts';
import {
  PACE_PARAMETER_IDS,
  type PACEDomainName,
  type PACEMapping,
  type PACEOffer,
} from './security-infos.ts';
import { find, parseTLVs } from './tlv.ts';

export type {
  LDSFileName,
  VirtualCardFaults,
  VirtualCardImage,
  VirtualCardSetup,
  VirtualCardStats,
} from './card.ts';
export { EMRTD_AID, TagLostError, VirtualCard } from './card.ts';
export type { PACEDomainName, PACEMapping, PACEOffer } from './security-infos.ts';
export { encodeCardAccess, PACE_PARAMETER_IDS } from './security-infos.ts';

/** Chip set-ups of the virtual card (how it is accessed; the sandbox card profile says what it holds). */
export const CHIP_PROFILES = [
  'cccd',
  'bac',
  'pace-gm',
  'pace-im',
  'pace-cam',
  'pace-dh',
  'pace-3des',
] as const;
export type ChipProfileName = (typeof CHIP_PROFILES)[number];

/** What each chip set-up is (docs/sandbox.md's chip table is generated from these). */
export const CHIP_PROFILE_DESCRIPTIONS = {
  cccd: "Vietnam's CCCD (the default): EF.CardAccess as the cards store it (PACE ECDH-GM brainpoolP256r1 AES-128, Chip Authentication ECDH AES-128, Terminal Authentication info); SELECT MF answers 6D00; PACE with the CAN; PACE with the MRZ key refused (6982), BAC with it accepted; short APDUs.",
  bac: 'A BAC-only passport chip: no EF.CardAccess (6A82), BAC with the MRZ key, 3DES secure messaging; SELECT MF 9000.',
  'pace-gm':
    'Textbook PACE chip: ECDH Generic Mapping on brainpoolP256r1, AES-128; CAN and MRZ passwords, BAC too.',
  'pace-im': 'PACE ECDH Integrated Mapping on brainpoolP256r1, AES-128; CAN and MRZ passwords, BAC too.',
  'pace-cam':
    "PACE with Chip Authentication Mapping on P-256 (the card's Chip Authentication key), AES-128; CAN and MRZ, BAC too.",
  'pace-dh':
    'PACE DH Generic Mapping on the RFC 5114 2048-bit MODP group with a 256-bit subgroup (parameterId 2), AES-128.',
  'pace-3des':
    'PACE ECDH Generic Mapping on brainpoolP256r1 with 3DES secure messaging (retail MAC, 8-byte SSC).',
} as const satisfies Record<ChipProfileName, string>;

/** A PACE set-up to offer; unset fields come from the chip profile. */
export interface PACEOption {
  mapping?: PACEMapping;
  /** Standardized domain parameters by name (`brainpoolP256r1`, `P-384`, `MODP-2048-256`…)… */
  curve?: PACEDomainName;
  /** …or by PACE parameterId (Doc 9303 Part 11 §9.5.1). */
  parameterId?: number;
  cipher?: SMCipher;
}

/** Options of {@link virtualCard}. */
export interface VirtualCardOptions {
  /** Chip set-up (default `cccd`). */
  profile?: ChipProfileName;
  /** PACE set-ups offered (override the profile's); `false`: no PACE (and no EF.CardAccess). */
  pace?: PACEOption | readonly PACEOption[] | false;
  /** BAC with the MRZ key (default: true, except on `pace-*` set-ups given `bac: false`). */
  bac?: boolean;
  /** Accept PACE with the MRZ password (default: false on `cccd`, true elsewhere). */
  paceMrz?: boolean;
  /** SELECT MF answers 9000 (default: false on `cccd` — 6D00 — true elsewhere). */
  selectMF?: boolean;
  /** Answer Chip Authentication (default true). */
  chipAuthentication?: boolean;
  /** Answer Active Authentication when the card has an AA key (default true). */
  activeAuthentication?: boolean;
  /** Accept extended length APDUs (default false — short APDUs only, as many phones — except with a 2048-bit DH group). */
  extendedLength?: boolean;
  /** At most this many bytes per READ BINARY (e.g. 0xE0). */
  maxLe?: number;
  /** Answer 6282 when a READ BINARY reaches the end of the file before Ne bytes. */
  eofWarning?: boolean;
  /** Password tries before the card blocks (63Cx counts down, then 6983). Default: 6300, never blocks. */
  retryCounter?: number;
  /** Seed of the card's nonces and ephemeral keys (sandbox DRBG); default: fresh randomness. */
  seed?: string | number;
  /** The card's random source, for standard vectors (overrides `seed`). */
  random?: (n: number) => Uint8Array;
  /** Faults to inject. */
  faults?: VirtualCardFaults;
}

const PROFILE_PACE: Record<ChipProfileName, PACEOffer | undefined> = {
  cccd: { mapping: 'GM', domain: 'brainpoolP256r1', cipher: 'AES-128' },
  bac: undefined,
  'pace-gm': { mapping: 'GM', domain: 'brainpoolP256r1', cipher: 'AES-128' },
  'pace-im': { mapping: 'IM', domain: 'brainpoolP256r1', cipher: 'AES-128' },
  'pace-cam': { mapping: 'CAM', domain: 'P-256', cipher: 'AES-128' },
  'pace-dh': { mapping: 'GM', domain: 'MODP-2048-256', cipher: 'AES-128' },
  'pace-3des': { mapping: 'GM', domain: 'brainpoolP256r1', cipher: '3DES' },
};

const sandboxError = (msg: string) => new ChipIdError('ERR_SANDBOX', `virtual card: ${msg}`);

function resolveOffer(base: PACEOffer | undefined, o: PACEOption): PACEOffer {
  let domain = o.curve ?? base?.domain ?? 'brainpoolP256r1';
  if (o.parameterId !== undefined) {
    const byId = (Object.keys(PACE_PARAMETER_IDS) as PACEDomainName[]).find(
      (k) => PACE_PARAMETER_IDS[k] === o.parameterId,
    );
    if (!byId) throw sandboxError(`no standardized domain parameters ${o.parameterId}`);
    domain = byId;
  }
  if (!(domain in PACE_PARAMETER_IDS)) throw sandboxError(`unknown PACE domain ${String(domain)}`);
  const offer: PACEOffer = {
    mapping: o.mapping ?? base?.mapping ?? 'GM',
    domain,
    cipher: o.cipher ?? base?.cipher ?? 'AES-128',
  };
  const dh = domain.startsWith('MODP');
  if (offer.mapping === 'CAM' && (dh || offer.cipher === '3DES'))
    throw sandboxError('PACE-CAM is defined for ECDH with AES only');
  if (offer.mapping === 'IM' && dh) throw sandboxError('DH Integrated Mapping is not offered (ECDH-IM only)');
  return offer;
}

/** The set-up a chip profile and options give. */
export function resolveSetup(options: VirtualCardOptions = {}): VirtualCardSetup {
  const profile = options.profile ?? 'cccd';
  if (!(CHIP_PROFILES as readonly string[]).includes(profile))
    throw sandboxError(`unknown chip profile '${profile}' (one of: ${CHIP_PROFILES.join(', ')})`);
  const base = PROFILE_PACE[profile];
  const cccd = profile === 'cccd';
  let pace: PACEOffer[];
  if (options.pace === false) pace = [];
  else if (options.pace === undefined) pace = base ? [base] : [];
  else pace = (Array.isArray(options.pace) ? options.pace : [options.pace]).map((o) => resolveOffer(base, o));
  const n = (v: number | undefined, name: string, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min))
      throw sandboxError(`${name} must be an integer ≥ ${min}`);
    return v;
  };
  const faults = options.faults ?? {};
  n(faults.dropAfterApdus, 'faults.dropAfterApdus', 0);
  n(faults.badResponseMacAt, 'faults.badResponseMacAt', 1);
  n(faults.wrongLengthAbove, 'faults.wrongLengthAbove', 1);
  n(faults.correctLengthAbove, 'faults.correctLengthAbove', 1);
  if ((faults.correctLengthAbove ?? 0) > 256) throw sandboxError('faults.correctLengthAbove must be ≤ 256');
  const maxLe = n(options.maxLe, 'maxLe', 1);
  const retryCounter = n(options.retryCounter, 'retryCounter', 1);
  if (retryCounter !== undefined && retryCounter > 15) throw sandboxError('retryCounter must be ≤ 15');
  return {
    pace,
    bac: options.bac ?? true,
    paceMrz: options.paceMrz ?? !cccd,
    selectMF: options.selectMF ?? !cccd,
    terminalAuthenticationInfo: cccd,
    chipAuthentication: options.chipAuthentication ?? true,
    activeAuthentication: options.activeAuthentication ?? true,
    // A 2048-bit DH public key does not fit a short APDU: chips offering those groups take extended ones.
    extendedLength: options.extendedLength ?? pace.some((p) => p.domain.startsWith('MODP-2048')),
    ...(maxLe !== undefined ? { maxLe } : {}),
    eofWarning: options.eofWarning ?? false,
    ...(retryCounter !== undefined ? { retryCounter } : {}),
    faults: { ...faults },
  };
}

/**
 * The MRZ information of a DG1 (document number, date of birth, date of expiry with their check
 * digits; Doc 9303 Part 11 §9.7.1.1) — TD1 (CCCD), TD2 or TD3 layouts of Doc 9303 Parts 4–6.
 */
export function mrzInformationFromDG1(dg1: Uint8Array): string {
  const outer = parseTLVs(dg1);
  const inner = outer?.length === 1 && outer[0]!.tag === 0x61 ? parseTLVs(outer[0]!.value) : undefined;
  const mrz = inner && find(inner, 0x5f1f);
  if (!mrz) throw sandboxError('DG1 holds no MRZ (5F1F)');
  const s = new TextDecoder('latin1').decode(mrz);
  if (s.length === 90) return s.slice(5, 15) + s.slice(30, 37) + s.slice(38, 45);
  if (s.length === 72) return s.slice(36, 46) + s.slice(49, 56) + s.slice(57, 64);
  if (s.length === 88) return s.slice(44, 54) + s.slice(57, 64) + s.slice(65, 72);
  throw sandboxError('DG1 MRZ is neither TD1, TD2 nor TD3');
}

/**
 * The image of a sandbox card: the dump's files, its CAN (last 6 digits of the 12-digit id number),
 * its MRZ key (from DG1), its AA chip and its CA key.
 */
export function sandboxCardImage(card: SandboxCard): VirtualCardImage {
  const files: Partial<Record<LDSFileName, Uint8Array>> = {};
  const { dump } = card;
  for (const name of ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
    const v = dump[name];
    if (v !== undefined) files[name] = fromBase64(v);
  }
  const dg1 = files.dg1;
  return {
    files,
    ...(dg1 ? { mrzInformation: mrzInformationFromDG1(dg1) } : {}),
    can: card.citizen.idNumber.slice(-6),
    ...(card.chip ? { activeAuthentication: card.chip } : {}),
    chipAuthentication: {
      domain: card.caPrivateKey.kind === 'p256' ? 'P-256' : 'brainpoolP256r1',
      privateKey: card.caPrivateKey.secretKey,
      protocol: SANDBOX_OID.idCA_ECDH_AES_CBC_CMAC_128,
    },
  };
}

/**
 * The virtual chip of a sandbox card: a `ChipTransport` answering APDUs as the card's chip would.
 *
 * @example
 * const card = await makeCard({ profile: 'valid', seed: 7 });
 * const chip = virtualCard(card, { seed: 7 });
 * const read = await readChip(chip, { key: { can: card.citizen.idNumber.slice(-6) } });
 */
export function virtualCard(card: SandboxCard, options: VirtualCardOptions = {}): VirtualCard {
  const random = options.random ?? sandboxRandom(options.seed);
  return new VirtualCard(sandboxCardImage(card), resolveSetup(options), random, card);
}

function sandboxRandom(seed: string | number | undefined): (n: number) => Uint8Array {
  const rnd = createRandom(seed).fork('virtual-card');
  return (n) => rnd.bytes(n);
}

/**
 * The virtual chip of the sandbox card `chipid sandbox card --profile <profile> --seed <seed>` writes
 * (byte-identical files), its nonces drawn from the same seed; `chip.sandboxCard` is that card.
 *
 * @example
 * const chip = await virtualCardFor('valid', 7);
 * const can = chip.sandboxCard!.citizen.idNumber.slice(-6);
 */
export async function virtualCardFor(
  profile: ProfileName,
  seed?: string | number,
  options: VirtualCardOptions & { faceSize?: number } = {},
): Promise<VirtualCard> {
  if (!isProfileName(profile))
    throw sandboxError(`unknown sandbox profile '${String(profile)}' (one of: ${PROFILE_NAMES.join(', ')})`);
  const { faceSize, ...rest } = options;
  const card = await makeCard({
    profile,
    ...(seed !== undefined ? { seed: String(seed) } : {}),
    ...(faceSize ? { faceSize } : {}),
  });
  return virtualCard(card, { ...(seed !== undefined ? { seed } : {}), ...rest });
}
