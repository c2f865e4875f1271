/**
 * Sandbox console — the server side of `/console`: makes sandbox chips (`@chipid/sdk/sandbox`) and runs
 * them, or an uploaded `chipid.dump/1`, through the real verification pipeline (DESIGN.md checks 1–5:
 * `prepareVerification` then `commitVerification`, audit entry included) against the SANDBOX trust
 * store and registry. Never the live environment: the store is chosen from a constant, not from input.
 *
 * The console acts as one built-in sandbox client, {@link CONSOLE_CLIENT_ID}. It never signs an RP
 * token: it calls the pipeline in-process with an identity it builds itself, so RP authentication of
 * the real endpoints is unchanged. Its client record is reserved in the sandbox table at first use
 * (status `disabled`, no keys), so no RP can be registered under that id, and no token can ever be
 * accepted for it; if an admin ever attaches keys to it, the console refuses to act as it.
 *
 * Active Authentication (Doc 9303 Part 11 §6.1): the console issues a one-time challenge bound to its
 * client exactly as `POST /v1/challenges` does, and the sandbox virtual chip answers it, so the
 * clone check runs the same path as for an RP. A profile's card is read as a phone would read it: the
 * SDK reader (`readChip`) over the card's APDU-level virtual card (PACE with the CAN, secure messaging,
 * Chip Authentication, every file, INTERNAL AUTHENTICATE over the challenge).
 */
import {
  type ChipDumpJSON,
  CLAIM_NAMES,
  chipDigest,
  describeDump,
  parseDump,
  type ReasonCode,
  readChip,
  type VerificationResult,
} from '@chipid/sdk';
import {
  type ExpectedOutcome,
  makeCard,
  type ProfileName,
  sandboxCSCA,
  virtualCard,
} from '@chipid/sdk/sandbox';
import type { RpAuth } from '../app-env.ts';
import type { Bindings } from '../env.ts';
import { portraitJPEG } from '../image/portrait.ts';
import { b64, fromB64, hex, randomId, sha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import { type ClientRecord, getClient, putClient } from '../store/clients.ts';
import { isConditionFailed, type StoreContext, storeFor, transact } from '../store/db.ts';
import { keys } from '../store/keys.ts';
import { challengePut } from '../store/requests.ts';
import { loadTrust } from '../store/trust.ts';
import { type CheckOutcome, commitVerification, type Ledger } from '../store/verifications.ts';
import { prepareVerification } from '../verify/pipeline.ts';

/** The one environment the console may touch. */
export const CONSOLE_ENV = 'sandbox' as const;

/** The built-in client the console verifies as (reserved, keyless, never accepted by RP auth). */
export const CONSOLE_CLIENT_ID = 'sandbox_console';

/**
 * Every claim the service can put in an assertion: the console shows all of them (synthetic data) —
 * but not `portrait`: the page shows the DG2 face itself, and an image it never displays is not worth
 * a conversion per run.
 */
export const CONSOLE_SCOPE = CLAIM_NAMES.filter((n) => n !== 'portrait');

/** The `purpose` claim of console verifications. */
export const CONSOLE_PURPOSE = 'chipid sandbox console';

/** Same lifetime as `POST /v1/challenges`. */
const CHALLENGE_TTL_MS = 120_000;

/** Bindings the console reads on top of the Worker's. */
export interface ConsoleBindings extends Bindings {
  /**
   * `true` (or `1`, `on`, `yes`) serves `/console`; anything else — unset included — turns it off:
   * every console path answers 404. On under `npm start` and in the tests (`wrangler.toml` [vars] and
   * the local stack), off in a deployment unless `npm run deploy -- --console`.
   */
  CONSOLE_ENABLED?: string;
  /** Console API calls per minute and caller (client address, IPv6 by /64; default 60). */
  CONSOLE_RATE_LIMIT_PER_MINUTE?: string;
}

/**
 * Whether the console is served (off unless switched on).
 *
 * @example
 * consoleEnabled({ CONSOLE_ENABLED: 'true' } as ConsoleBindings); // true
 * consoleEnabled({} as ConsoleBindings); // false
 */
export function consoleEnabled(env: ConsoleBindings): boolean {
  const v = (env.CONSOLE_ENABLED ?? '').trim().toLowerCase();
  return ['true', '1', 'on', 'yes'].includes(v);
}

/**
 * How long the console's verification records and audit entries are kept: they are demonstrations on
 * synthetic data, not an RP's audit trail (DynamoDB TTL; a day's log is its own partition).
 */
export const CONSOLE_RECORD_TTL_SECONDS = 24 * 3600;

/**
 * Where the console's verifications go: apart from every RP's (`CONSOLE#VER#<id>`, and one audit
 * chain per UTC day `CONSOLE#AUDIT#<YYYY-MM-DD>`, so an expired day never collides with a new one),
 * each item expiring {@link CONSOLE_RECORD_TTL_SECONDS} after it was written.
 */
export function consoleLedger(now: Date): Ledger {
  const day = now.toISOString().slice(0, 10);
  return {
    verification: (id) => keys.consoleVerification(id),
    auditPartition: () => keys.consoleAuditPartition(day),
    auditHead: (lane) => keys.consoleAuditHead(day, lane),
    auditSeq: (lane, seq) => keys.consoleAuditSeq(day, lane, seq),
    ttl: Math.floor(now.getTime() / 1000) + CONSOLE_RECORD_TTL_SECONDS,
  };
}

/** The sandbox store (a constant environment: input never selects it). */
export function consoleStore(env: Bindings): StoreContext {
  return storeFor(env, CONSOLE_ENV);
}

const RESERVED_NAME = 'chipid sandbox console (built-in; no keys, not usable by relying parties)';

/**
 * Reserves the console's client record in the sandbox table (disabled, no keys) and checks nobody
 * attached keys to it. Returns the identity the pipeline runs with.
 *
 * @throws ApiError `ERR_CONFLICT` when the id carries RP keys; `ERR_STORE_UNAVAILABLE` on outages
 */
export async function consoleClient(store: StoreContext, now = new Date()): Promise<ClientRecord> {
  let rec = await getClient(store, CONSOLE_CLIENT_ID);
  if (!rec) {
    const time = now.toISOString();
    rec = {
      clientId: CONSOLE_CLIENT_ID,
      name: RESERVED_NAME,
      status: 'disabled',
      scope: [...CONSOLE_SCOPE],
      keys: [],
      createdAt: time,
      updatedAt: time,
    };
    try {
      await putClient(store, rec, 'create');
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      // Created concurrently by another request: re-read what is there.
      rec = await getClient(store, CONSOLE_CLIENT_ID);
    }
  }
  if (!rec || rec.keys.length > 0) {
    throw new ApiError(
      'ERR_CONFLICT',
      'the console client id has relying-party keys; the console will not act as it',
    );
  }
  // Only the pipeline sees this identity; the stored record stays disabled and keyless.
  return { ...rec, status: 'active', scope: [...CONSOLE_SCOPE] };
}

/** What the page needs to know about the sandbox trust store. */
export interface TrustSummary {
  cscas: number;
  crls: number;
  /** Whether the sandbox factory's CSCA is trusted (otherwise every card ends `ds_untrusted`). */
  sandboxCsca: boolean;
}

/** Counts the sandbox anchors and looks for the sandbox CSCA. */
export async function trustSummary(store: StoreContext): Promise<TrustSummary> {
  const [anchors, csca] = await Promise.all([loadTrust(store), sandboxCSCA()]);
  const want = hex(await sha256(csca.der));
  const have = await Promise.all(anchors.cscas.map(async (der) => hex(await sha256(der))));
  return { cscas: anchors.cscas.length, crls: anchors.crls.length, sandboxCsca: have.includes(want) };
}

/** A card the console made: the dump, its description and how to make it again. */
export interface ConsoleCard {
  profile: ProfileName;
  seed: string;
  expected: ExpectedOutcome;
  dump: ChipDumpJSON;
  card: Record<string, unknown>;
}

/** A fresh seed when the caller gave none (so every card can be made again). */
export function newSeed(): string {
  return randomId('').slice(0, 12);
}

/**
 * A card description whose JPEG 2000 face also carries `display`: the face converted to JPEG (base64),
 * which browsers show (they do not decode JPEG 2000). A face that does not convert keeps none.
 */
export async function withDisplayFace(card: Record<string, unknown>): Promise<Record<string, unknown>> {
  const face = (card.dg2 as { faces?: { format?: string; image?: string }[] } | undefined)?.faces?.[0];
  if (face?.format !== 'jp2' || typeof face.image !== 'string') return card;
  const image = fromB64(face.image);
  if (!image) return card;
  try {
    (face as Record<string, unknown>).display = b64((await portraitJPEG({ format: 'jp2', image })).bytes);
  } catch {
    // shown as a caption only
  }
  return card;
}

/**
 * Makes a sandbox card and describes it (DG2 face included as base64 for display).
 *
 * @example
 * const c = await consoleCard('valid', 'demo');
 * c.card.dg13; // { fullName: 'Trần Minh Khoa', … }
 */
export async function consoleCard(profile: ProfileName, seed: string): Promise<ConsoleCard> {
  const made = await makeCard({ profile, seed });
  return {
    profile,
    seed,
    expected: made.profile.expected,
    dump: made.dump,
    card: await withDisplayFace(describeDump(parseDump(made.dump), { images: true })),
  };
}

/** One step of the verification as the page shows it. */
export interface ConsoleStep {
  group: 'passive' | 'active' | 'registry';
  /** The pipeline's check name (`sod.signature`, `dg1.hash`, `aa.signature`, `registry`…). */
  name: string;
  label: string;
  status: 'pass' | 'fail' | 'skip';
  reasons: ReasonCode[];
  detail?: string;
}

/** What reading a profile's card did (no data: protocol names and counters). */
export interface ConsoleRead {
  accessControl: 'pace' | 'bac';
  pace?: { mapping: string; curve: string; cipher: string; password: 'can' | 'mrz' };
  chipAuthentication: string;
  activeAuthentication?: string;
  apdus: number;
  bytesSent: number;
  bytesReceived: number;
}

/** The console's answer to one verification. */
export interface ConsoleVerification {
  /** The verification id (`CONSOLE#VER#<id>` in the sandbox table, `txn` in the assertion). */
  id: string;
  result: VerificationResult;
  reasons: ReasonCode[];
  assertion: string;
  steps: ConsoleStep[];
  source: 'profile' | 'upload';
  /** Whether the chip answered a one-time challenge the service issued for this verification. */
  challengeAnswered: boolean;
  /** How the profile's card was read through its virtual card (profile runs only). */
  read?: ConsoleRead;
  dump: ChipDumpJSON;
  card: Record<string, unknown>;
  profile?: ProfileName;
  seed?: string;
  expected?: ExpectedOutcome;
  /** Whether the outcome is the profile's documented one (profile runs only). */
  matchesExpected?: boolean;
}

const DG_NAMES: Record<string, string> = {
  '1': 'DG1 (MRZ)',
  '2': 'DG2 (face image)',
  '13': 'DG13 (CCCD personal details)',
  '14': 'DG14 (chip security infos)',
  '15': 'DG15 (Active Authentication public key)',
};

const PASSIVE_LABELS: Record<string, string> = {
  'sod.parse': 'SOD is a CMS SignedData carrying an LDS Security Object',
  'ds.present': 'Document Signer certificate is in the SOD',
  'sod.signed-attributes': 'Signed attributes match the SOD content',
  'sod.signature': 'SOD signature verifies with the Document Signer key',
  'ds.chain': 'Document Signer chains to a trusted sandbox CSCA',
  'csca.validity': 'CSCA certificate is within its validity period',
  'ds.profile': 'Certificates fit their roles (CA / document signing)',
  'ds.revocation': 'Document Signer is not on the CSCA revocation list',
  'ds.validity': 'Document Signer certificate is within its validity period',
  country: 'Issuing state matches the Document Signer and CSCA country',
};

/** Human label of a pipeline check. */
export function stepLabel(name: string): string {
  const dg = /^dg(\d+)\.hash$/.exec(name);
  if (dg) return `${DG_NAMES[dg[1] ?? ''] ?? `DG${dg[1]}`} hashes to the value signed in the SOD`;
  return PASSIVE_LABELS[name] ?? name;
}

/**
 * Groups the pipeline's stored check outcomes into the page's steps. Presentation only: every status
 * comes from the pipeline's checks and reasons, nothing is re-checked here.
 */
export function consoleSteps(
  checks: readonly CheckOutcome[],
  reasons: readonly string[],
  source: 'profile' | 'upload',
): ConsoleStep[] {
  const codes = (c: CheckOutcome) => (c.reasons ?? []) as ReasonCode[];
  const step = (
    group: ConsoleStep['group'],
    name: string,
    label: string,
    status: ConsoleStep['status'],
    rs: ReasonCode[],
    detail?: string,
  ): ConsoleStep => ({ group, name, label, status, reasons: rs, ...(detail ? { detail } : {}) });

  const steps: ConsoleStep[] = [];
  for (const c of checks) {
    if (c.name.startsWith('aa.') || c.name === 'registry' || c.name === 'portrait') continue;
    steps.push(step('passive', c.name, stepLabel(c.name), c.ok ? 'pass' : 'fail', codes(c), c.detail));
  }

  const aa = checks.find((c) => c.name === 'aa.signature');
  const passiveFailed = steps.some((x) => x.status === 'fail');
  if (passiveFailed) {
    // The pipeline reports no clone-check reason for a chip that failed passive authentication.
    steps.push(
      step(
        'active',
        'aa',
        'Active Authentication (clone check)',
        'skip',
        [],
        'not judged: passive authentication failed, so DG15 and the answer are not trusted',
      ),
    );
  } else if (reasons.includes('aa_not_supported')) {
    steps.push(
      step(
        'active',
        'aa.key',
        'Chip holds an Active Authentication key (DG15)',
        'fail',
        ['aa_not_supported'],
        'no DG15: the clone check cannot be made',
      ),
    );
  } else if (!aa) {
    steps.push(
      step(
        'active',
        'aa.answer',
        "Chip answered the service's one-time challenge",
        'fail',
        ['aa_not_performed'],
        source === 'upload'
          ? 'an uploaded dump cannot answer a fresh challenge (only a chip can)'
          : 'the dump carries no Active Authentication answer',
      ),
    );
  } else {
    const fresh = !reasons.includes('challenge_invalid');
    steps.push(
      step(
        'active',
        'aa.challenge',
        "The answer is for this verification's one-time server challenge",
        fresh ? 'pass' : 'fail',
        fresh ? [] : ['challenge_invalid'],
        fresh ? undefined : 'the answer was made for a challenge the service did not issue',
      ),
    );
    steps.push(
      step(
        'active',
        'aa.signature',
        'Chip proved possession of the DG15 private key (clone check)',
        aa.ok ? 'pass' : 'fail',
        codes(aa),
        aa.detail,
      ),
    );
  }

  const reg = checks.find((c) => c.name === 'registry');
  if (reg) {
    const consulted = reg.ok || (reg.reasons?.length ?? 0) > 0;
    steps.push(
      step(
        'registry',
        'registry',
        'Card and citizen are in good standing in the sandbox registry',
        reg.ok ? 'pass' : consulted ? 'fail' : 'skip',
        codes(reg),
        reg.detail,
      ),
    );
  }
  return steps;
}

/** What to verify: a profile's card (made here, answering a fresh challenge) or an uploaded dump. */
export type ConsoleInput = { profile: ProfileName; seed: string } | { dump: ChipDumpJSON };

/**
 * Runs one full verification as the console client against the sandbox: challenge (profile cards),
 * checks 1–4 (`prepareVerification`) and the audit commit (check 5, `commitVerification`).
 *
 * @example
 * const v = await consoleVerify(env, { profile: 'valid', seed: 'demo' });
 * v.result; // 'verified'
 */
export async function consoleVerify(
  env: Bindings,
  input: ConsoleInput,
  now = new Date(),
): Promise<ConsoleVerification> {
  const store = consoleStore(env);
  const client = await consoleClient(store, now);

  let chip: ChipDumpJSON;
  let challengeId: string | undefined;
  let expected: ExpectedOutcome | undefined;
  let read: ConsoleRead | undefined;
  if ('profile' in input) {
    // A challenge bound to the console client, stored exactly like `POST /v1/challenges` does.
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    challengeId = randomId('chl_');
    await transact(store, [
      challengePut(store, {
        id: challengeId,
        clientId: CONSOLE_CLIENT_ID,
        challenge: b64(bytes),
        expiresAt: now.getTime() + CHALLENGE_TTL_MS,
        used: false,
      }),
    ]);
    // Read as a phone reads it: the card's APDU-level virtual chip, PACE with its CAN (the last 6
    // digits of the id number), INTERNAL AUTHENTICATE over the challenge with the card's own key.
    const made = await makeCard({ profile: input.profile, seed: input.seed });
    const r = await readChip(virtualCard(made, { seed: input.seed }), {
      key: { can: made.citizen.idNumber.slice(-6) },
      challenge: bytes,
    });
    chip = r.dump;
    read = {
      accessControl: r.accessControl,
      ...(r.pace ? { pace: r.pace } : {}),
      chipAuthentication: r.chipAuthentication,
      ...(r.activeAuthentication ? { activeAuthentication: r.activeAuthentication } : {}),
      ...r.counters,
    };
    expected = made.profile.expected;
  } else {
    chip = input.dump;
  }

  const iat = Math.floor(now.getTime() / 1000);
  const jti = randomId('con_');
  const auth: RpAuth = {
    clientId: CONSOLE_CLIENT_ID,
    env: CONSOLE_ENV,
    client,
    store,
    kid: 'console',
    jti,
    iat,
    exp: iat + 60,
    claims: {
      iss: CONSOLE_CLIENT_ID,
      purpose: CONSOLE_PURPOSE,
      scope: [...CONSOLE_SCOPE],
      chip_digest: await chipDigest(chip),
      ...(challengeId ? { challenge_id: challengeId } : {}),
    },
    // Not a JWS: the audit entry's request digest then names a console request, not an RP token.
    token: `console:${jti}`,
  };
  const prepared = await prepareVerification(env, auth, { chip }, now);
  // The console's own ledger (no read-ahead: the pipeline read an RP audit head, not the console's).
  const committed = await commitVerification(
    store,
    prepared.record,
    prepared.audit,
    prepared.consume,
    undefined,
    prepared.lanes,
    consoleLedger(now),
  );
  if (!committed.ok) throw new ApiError('ERR_CHALLENGE_INVALID', 'the challenge was used concurrently');

  const source = 'profile' in input ? 'profile' : 'upload';
  const { result } = prepared.response;
  const reasons = prepared.response.reasons as ReasonCode[];
  const out: ConsoleVerification = {
    id: prepared.response.id,
    result,
    reasons,
    assertion: prepared.response.assertion,
    steps: consoleSteps(prepared.record.checks, reasons, source),
    source,
    challengeAnswered: prepared.challengeUsed && !reasons.includes('challenge_invalid'),
    ...(read ? { read } : {}),
    dump: chip,
    card: await withDisplayFace(describeDump(parseDump(chip), { images: true })),
  };
  if ('profile' in input && expected) {
    out.profile = input.profile;
    out.seed = input.seed;
    out.expected = expected;
    out.matchesExpected =
      expected.result === result && [...expected.reasons].sort().join(',') === [...reasons].sort().join(',');
  }
  return out;
}
