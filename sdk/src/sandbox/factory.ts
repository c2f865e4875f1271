/**
 * Sandbox chip factory — complete `chipid.dump/1` chip dumps (EF.COM, DG1, DG2, DG13, DG14, DG15, SOD)
 * for a profile and citizen, the matching registry records, and a virtual chip holding the Active
 * Authentication key (ICAO Doc 9303 Parts 10–12).
 *
 * With a seed everything is drawn from HMAC-DRBG streams, so the same seed and profile give a
 * byte-identical dump; without one, keys and padding are fresh random values.
 */

import { ChipIdError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import { DUMP_FORMAT } from '../icao/dump.ts';
import { fromBase64, toBase64 } from '../lib/bytes.ts';
import { SANDBOX_FACES, type SandboxFace } from './assets/faces.ts';
import { type AAPrivateKey, VirtualChip } from './chip.ts';
import { type Card, type Citizen, type CitizenCard, randomCitizen, readyCitizen } from './citizens.ts';
import { type ECKey, generateECKey, rsaKey } from './keys.ts';
import {
  encodeCOM,
  encodeDG1,
  encodeDG2,
  encodeDG13,
  encodeDG14,
  encodeDG15,
  encodeSOD,
  LDS_TAGS,
} from './lds.ts';
import type { IssuedCertificate, SandboxPKI } from './pki.ts';
import { sandboxPKI } from './pki.ts';
import {
  type AAChoice,
  type DSChoice,
  isProfileName,
  PROFILES,
  type Profile,
  type ProfileName,
} from './profiles.ts';
import { createRandom, type SandboxRandom } from './random.ts';
import { type RegistryRecord, registryRecords } from './registry.ts';
import { generateRSAKey } from './rsa.ts';

/** Options of {@link makeCard}. */
export interface MakeCardOptions {
  /** Profile (default `valid`). */
  profile?: ProfileName;
  /** Seed for a reproducible card (same seed + profile + options ⇒ byte-identical dump). */
  seed?: string | number;
  /** When given, `dump.aa` holds the virtual chip's answer to this INTERNAL AUTHENTICATE challenge. */
  challenge?: Uint8Array;
  /**
   * Whose card: the profile's ready citizen (default; listed in the registry seed), `'random'` (drawn
   * from the seed), or an explicit citizen and card.
   */
  citizen?: CitizenCard | 'random';
  /** Pad the DG2 JPEG (COM segments) to at least this many bytes, e.g. 150_000 for benchmarks. */
  faceSize?: number;
}

/** What {@link makeCard} returns. */
export interface SandboxCard {
  /** The chip dump (`chipid.dump/1`). */
  dump: ChipDumpJSON;
  /** The profile with its expected outcome. */
  profile: Profile;
  /** The card holder as the chip describes them. */
  citizen: Citizen;
  /** The card the chip belongs to (as on the chip). */
  card: Card;
  /** Registry records the service needs for the expected outcome (already in the seed for ready citizens). */
  registry: RegistryRecord[];
  /** The chip's Active Authentication responder; `undefined` for `no-aa`. */
  chip: VirtualChip | undefined;
  /** The key the chip holds (on a `clone`, NOT the key in DG15). */
  aaPrivateKey?: AAPrivateKey;
  /** The chip's static Chip Authentication key (ECDH, P-256), whose public key DG14 announces. */
  caPrivateKey: ECKey;
  /** The Document Signer certificate in the SOD. */
  documentSigner: { der: Uint8Array; pem: string };
}

function pickDS(pki: SandboxPKI, choice: DSChoice): IssuedCertificate {
  switch (choice) {
    case 'expired':
      return pki.dsExpired;
    case 'foreign':
      return pki.dsForeign;
    default:
      return pki.ds[choice];
  }
}

function makeAAKey(choice: Exclude<AAChoice, 'none'>, rnd: SandboxRandom): AAPrivateKey {
  return choice === 'rsa1024' ? rsaKey(generateRSAKey(1024, rnd)) : generateECKey(choice, rnd);
}

/**
 * The face on a citizen's chip: the JPEG 2000 face when the recipe asks for it, otherwise one of the
 * JPEG faces of the citizen's sex, chosen by the id number (the same citizen always has the same face).
 */
export function faceFor(
  citizen: Pick<Citizen, 'idNumber' | 'sex'>,
  format: 'jpeg' | 'jp2' = 'jpeg',
): SandboxFace {
  const pool = SANDBOX_FACES.filter(
    (f) => f.format === format && (format === 'jp2' || f.sex === citizen.sex),
  );
  const face = pool[Number(citizen.idNumber.slice(-6)) % pool.length];
  if (!face) throw new ChipIdError('ERR_SANDBOX', 'sandbox: no face for this citizen');
  return face;
}

const addYears = (iso: string, n: number) => `${Number(iso.slice(0, 4)) + n}${iso.slice(4)}`;
const signingTime = (issuedOn: string) => new Date(`${issuedOn}T02:00:00Z`); // 09:00 in Hà Nội

/**
 * Builds a complete sandbox chip.
 *
 * @example
 * const { dump, chip, profile } = await makeCard({ profile: 'clone', seed: 7, challenge });
 * // profile.expected → { result: 'inconclusive', reasons: ['aa_failed'] }
 */
export async function makeCard(opts: MakeCardOptions = {}): Promise<SandboxCard> {
  const profileName = opts.profile ?? 'valid';
  if (!isProfileName(profileName)) throw new ChipIdError('ERR_SANDBOX', 'sandbox: unknown profile');
  const { recipe, name, description, expected } = PROFILES[profileName];
  const rnd = createRandom(opts.seed).fork(`card/${profileName}`);
  const pki = await sandboxPKI();
  const holder =
    opts.citizen === 'random'
      ? randomCitizen(rnd.fork('citizen'))
      : (opts.citizen ?? readyCitizen(profileName));
  const { citizen, card } = holder;

  const dg15Key = recipe.aa === 'none' ? undefined : makeAAKey(recipe.aa, rnd.fork('aa'));
  const chipKey =
    dg15Key && recipe.clone ? makeAAKey(recipe.aa as Exclude<AAChoice, 'none'>, rnd.fork('clone')) : dg15Key;
  const caKey: ECKey = generateECKey('p256', rnd.fork('ca'));

  const dg1 = encodeDG1(citizen, card, recipe.issuingState ? { issuingState: recipe.issuingState } : {});
  const face = faceFor(citizen, recipe.face);
  const padTo = opts.faceSize ?? recipe.faceSize;
  const dg2 = encodeDG2({
    jpeg: fromBase64(face.base64),
    format: face.format,
    width: face.width,
    height: face.height,
    sex: citizen.sex,
    created: signingTime(card.issuedOn),
    ...(padTo ? { padTo } : {}),
  });
  const dg13 = encodeDG13(citizen, card);
  const dg14 = encodeDG14({
    aaECDSA: dg15Key !== undefined && dg15Key.kind !== 'rsa',
    caPublicKeyInfo: caKey.spki,
  });
  const dg15 = dg15Key ? encodeDG15(dg15Key.spki) : undefined;

  const dataGroups = new Map<number, Uint8Array>([
    [1, dg1],
    [2, dg2],
    [13, dg13],
    [14, dg14],
  ]);
  if (dg15) dataGroups.set(15, dg15);
  const com = encodeCOM([
    LDS_TAGS.dg1,
    LDS_TAGS.dg2,
    LDS_TAGS.dg13,
    LDS_TAGS.dg14,
    ...(dg15 ? [LDS_TAGS.dg15] : []),
  ]);
  const sod = await encodeSOD({
    dataGroups,
    ds: pickDS(pki, recipe.ds),
    signingTime: signingTime(card.issuedOn),
    ...(recipe.tamper === 'signature' ? { corruptSignature: true } : {}),
  });

  // Tampering happens after signing, as a forger would do it.
  const dg1Out =
    recipe.tamper === 'dg1'
      ? encodeDG1(citizen, card, {
          expiryDate: addYears(card.expiresOn, 10),
          ...(recipe.issuingState ? { issuingState: recipe.issuingState } : {}),
        })
      : dg1;
  const dg13Out =
    recipe.tamper === 'dg13'
      ? encodeDG13({ ...citizen, placeOfResidence: 'Số 1 Tràng Tiền, Tràng Tiền, Hoàn Kiếm, Hà Nội' }, card)
      : dg13;

  const dump: ChipDumpJSON = {
    format: DUMP_FORMAT,
    com: toBase64(com),
    dg1: toBase64(dg1Out),
    dg2: toBase64(dg2),
    dg13: toBase64(dg13Out),
    dg14: toBase64(dg14),
    ...(dg15 ? { dg15: toBase64(dg15) } : {}),
    sod: toBase64(sod),
  };
  const chip = chipKey ? new VirtualChip(chipKey, rnd.fork('chip')) : undefined;
  if (opts.challenge && chip) {
    const signature = await chip.internalAuthenticate(opts.challenge);
    dump.aa = { challenge: toBase64(opts.challenge), signature: toBase64(signature) };
  }
  const ds = pickDS(pki, recipe.ds);
  return {
    dump,
    profile: { name, description, expected: { result: expected.result, reasons: [...expected.reasons] } },
    citizen,
    card,
    registry: registryRecords(profileName, holder),
    chip,
    ...(chipKey ? { aaPrivateKey: chipKey } : {}),
    caPrivateKey: caKey,
    documentSigner: { der: ds.der, pem: ds.pem },
  };
}
