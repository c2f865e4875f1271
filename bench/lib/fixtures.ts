/**
 * Benchmark fixtures — sandbox cards (`makeCard`, seeded so every run measures the same bytes), fresh
 * Active Authentication answers from the card's virtual chip (Doc 9303 Part 11 §6.1: 8-byte
 * challenge, INTERNAL AUTHENTICATE), signed verification requests (the SDK's signer, distinct `jti`
 * each) and synthetic registry lines in the admin import format of SERVICE-CONTRACT.md.
 */
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { type ChipDumpJSON, parseDump } from '../../sdk/src/icao/dump.ts';
import { signVerificationRequest, verificationFormData } from '../../sdk/src/request/index.ts';
import { encodeFormData } from '../../sdk/src/request/sign.ts';
import { makeCard, type SandboxCard } from '../../sdk/src/sandbox/index.ts';
import type { ProfileName } from '../../sdk/src/sandbox/profiles.ts';

const cards = new Map<string, Promise<SandboxCard>>();

/** A seeded sandbox card (cached per profile and face size). */
export function benchCard(profile: ProfileName, faceSize?: number): Promise<SandboxCard> {
  const id = `${profile}/${faceSize ?? ''}`;
  let c = cards.get(id);
  if (!c) {
    c = makeCard({ profile, seed: 'bench', ...(faceSize ? { faceSize } : {}) });
    cards.set(id, c);
  }
  return c;
}

/** The card's dump answering `challenge` (a clone of `card.dump` with a fresh `aa`). */
export async function answered(card: SandboxCard, challenge: Uint8Array): Promise<ChipDumpJSON> {
  if (!card.chip) return card.dump;
  const signature = await card.chip.internalAuthenticate(challenge);
  return {
    ...card.dump,
    aa: {
      challenge: Buffer.from(challenge).toString('base64'),
      signature: Buffer.from(signature).toString('base64'),
    },
  };
}

/** An RP client as the bench knows it. */
export interface BenchClient {
  clientId: string;
  privateJwk: JWK & { kid: string };
}

/** Body of `POST /v1/verifications` (JSON text) for `chip`, signed by `client`. */
export async function verificationBody(
  client: BenchClient,
  audience: string,
  chip: ChipDumpJSON,
  challengeId?: string,
): Promise<string> {
  return JSON.stringify({ request: await signedRequest(client, audience, chip, challengeId, 'json'), chip });
}

/** A body on the wire: its bytes and `Content-Type`. */
export interface EncodedBody {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/**
 * The binary body of `POST /v1/verifications` (`multipart/form-data`, the SDK's FormData) for `chip`,
 * encoded as `fetch` sends it, boundary included.
 */
export async function multipartVerificationBody(
  client: BenchClient,
  audience: string,
  chip: ChipDumpJSON,
  challengeId?: string,
): Promise<EncodedBody> {
  const request = await signedRequest(client, audience, chip, challengeId, 'multipart');
  const { bytes, type } = await encodeFormData(verificationFormData(request, parseDump(chip)));
  return { body: bytes, contentType: type };
}

function signedRequest(
  client: BenchClient,
  audience: string,
  chip: ChipDumpJSON,
  challengeId: string | undefined,
  transport: 'json' | 'multipart',
): Promise<string> {
  return signVerificationRequest({
    clientId: client.clientId,
    privateKey: client.privateJwk,
    audience,
    chip,
    scope: ['name', 'age_over_18'],
    purpose: 'benchmark',
    ttlSeconds: 300,
    transport,
    ...(challengeId ? { challengeId } : {}),
  });
}

/** 8 random challenge bytes and an id in the Worker's `chl_` format. */
export function newChallengeBytes(): { id: string; bytes: Uint8Array } {
  return { id: `chl_${randomBytes(16).toString('base64url')}`, bytes: new Uint8Array(randomBytes(8)) };
}

/**
 * `n` synthetic registry records (citizen + card lines, so 2 lines per person), deterministic from
 * `offset`: 12-digit id numbers starting with 9 (no sandbox citizen uses them).
 */
export function syntheticRegistryLines(offset: number, persons: number): string {
  const out: string[] = [];
  for (let i = offset; i < offset + persons; i++) {
    const idNumber = `9${String(i).padStart(11, '0')}`;
    const doc = `B${String(i).padStart(9, '0')}`;
    out.push(
      JSON.stringify({
        kind: 'citizen',
        idNumber,
        fullName: `Bench Person ${i}`,
        birthDate: '1990-01-01',
        sex: i % 2 ? 'M' : 'F',
        status: 'alive',
        currentDocumentNumber: doc,
      }),
      JSON.stringify({
        kind: 'card',
        documentNumber: doc,
        idNumber,
        status: 'active',
        issuedOn: '2021-01-01',
        expiresOn: '2036-01-01',
      }),
    );
  }
  return `${out.join('\n')}\n`;
}
