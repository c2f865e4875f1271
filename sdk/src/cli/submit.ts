/**
 * `chipid submit` — sends a chip dump to the chipid service with the SDK client
 * (SERVICE-CONTRACT.md "RP endpoints") and prints the verified outcome and assertion as JSON.
 *
 * Exit codes: 0 verified, 1 rejected or inconclusive, 2 unusable input, configuration or network error
 * (one line on stderr, from main.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createClient } from '../client/client.ts';
import type { Challenge } from '../client/types.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import type { ProfileName } from '../sandbox/index.ts';
import { parseCommandArgs, printJSON, readDumpFile, readFailure, readSandboxChip } from './io.ts';

const HELP = `usage: chipid submit <dump.json> [options]
       chipid submit --profile <name> --seed <n> [--challenge] [options]

Sends a chipid.dump/1 file to the chipid service (POST /v1/verifications), checks the signed
assertion against the service's JWKS and prints { id, result, reasons, assertion, claims } as JSON.
Exit 0 verified, 1 rejected or inconclusive, 2 unusable input, configuration or network error.

Configuration comes from .chipid/local.json in the current directory or the nearest one above it
(written by \`npm start\`: { "url", "clientId", "privateJwk" }); flags override it.

options:
  --url <U>             service base URL
  --client-id <C>       relying-party client id (sandbox_… or live_…)
  --key <file>          private JWK (with kid) of that client, as a JSON file
  --scope <a,b,…>       claim names to ask for (default: none; e.g. given_name,family_name,age_over_18)
  --purpose <text>      purpose recorded in the audit log (default: "chipid submit")
  --challenge           ask the service for a one-time challenge first (active authentication)
  --profile <name>      rebuild the card with the sandbox chip factory (see \`chipid sandbox profiles\`)
  --seed <n>            seed of that sandbox card (the one given to \`chipid sandbox card\`)
  --timeout <ms>        per-attempt timeout (default 15000)
  --multipart           send the dump's files as raw bytes (multipart/form-data), not base64 in JSON
  -h, --help            this help

--challenge: the chip itself must sign the service's fresh challenge, so a dump file read earlier
cannot answer it. In the sandbox, give --profile and --seed: the command rebuilds the same card with
the sandbox virtual chip, which signs the challenge (the dump file, if also given, must be that
card). With a real card, the reading app does this step (client.challenge() then client.verify()).
`;

interface LocalConfig {
  url?: string;
  clientId?: string;
  privateJwk?: Record<string, unknown>;
}

const configError = (msg: string, cause?: unknown): ChipIdError =>
  new ChipIdError('ERR_CONFIG', msg, cause === undefined ? undefined : { cause });

function readJSONFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw configError(`cannot read ${what} ${path}: ${readFailure(cause)}`, cause);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw configError(`${what} ${path} is not JSON`, cause);
  }
}

/** `.chipid/local.json` in `cwd` or the nearest directory above it that has one. */
function findLocalConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; ) {
    const path = join(dir, '.chipid', 'local.json');
    if (existsSync(path)) return path;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function loadLocalConfig(cwd: string): LocalConfig & { path?: string } {
  const path = findLocalConfig(cwd);
  if (!path) return {};
  const j = readJSONFile(path, 'config');
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw configError(`${path} must be a JSON object`);
  const o = j as Record<string, unknown>;
  const out: LocalConfig & { path?: string } = { path };
  if (typeof o.url === 'string') out.url = o.url;
  if (typeof o.clientId === 'string') out.clientId = o.clientId;
  if (o.privateJwk && typeof o.privateJwk === 'object')
    out.privateJwk = o.privateJwk as Record<string, unknown>;
  return out;
}

/** A key file holds a private JWK, `{ privateJwk }` (a local.json), or a JWKS whose first private key is used. */
function readKeyFile(path: string): Record<string, unknown> {
  const j = readJSONFile(path, 'key file') as Record<string, unknown> | null;
  if (!j || typeof j !== 'object') throw configError(`key file ${path} must hold a JWK`);
  if (j.privateJwk && typeof j.privateJwk === 'object') return j.privateJwk as Record<string, unknown>;
  if (Array.isArray(j.keys)) {
    const k = (j.keys as unknown[]).find((x) => x && typeof x === 'object' && 'd' in x);
    if (!k) throw configError(`key file ${path} holds no private key`);
    return k as Record<string, unknown>;
  }
  return j;
}

/** Rebuilds a sandbox card (and its AA answer) with the SDK's chip factory, as `chipid sandbox card` does. */
async function sandboxCard(
  profile: ProfileName,
  seed: string,
  challenge: Uint8Array | undefined,
  faceSize: number | undefined,
): Promise<ChipDumpJSON> {
  const { makeCard } = await import('../sandbox/index.ts');
  return (
    await makeCard({ profile, seed, ...(challenge ? { challenge } : {}), ...(faceSize ? { faceSize } : {}) })
  ).dump;
}

export async function run(argv: string[], cwd: string = process.cwd()): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw configError('expected one dump file (see chipid submit --help)');
  const dumpPath = positionals[0];

  const local = loadLocalConfig(cwd);
  const url = values.url ?? local.url;
  const clientId = values['client-id'] ?? local.clientId;
  const privateJwk = values.key !== undefined ? readKeyFile(resolve(cwd, values.key)) : local.privateJwk;
  if (!url)
    throw configError(
      `no service URL: no .chipid/local.json in ${resolve(cwd)} or above (\`npm start\` writes it) and no --url`,
    );
  if (!clientId) throw configError('no client id: pass --client-id or use .chipid/local.json');
  if (!privateJwk) throw configError('no private key: pass --key <jwk file> or use .chipid/local.json');

  const scope = values.scope
    ? values.scope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  const purpose = values.purpose ?? 'chipid submit';
  let faceSize: number | undefined;
  // A dump written by `chipid sandbox card` has its sandbox chip beside it (card.chip.json).
  if (
    values.challenge &&
    values.profile === undefined &&
    values.seed === undefined &&
    dumpPath !== undefined
  ) {
    const chip = readSandboxChip(resolve(cwd, dumpPath));
    if (chip) {
      values.profile = chip.profile;
      values.seed = chip.seed;
      faceSize = chip.faceSize; // a card made with --face-size is rebuilt with that face
    }
  }
  const sandbox = values.profile !== undefined || values.seed !== undefined;
  if (sandbox) {
    if (values.profile === undefined || values.seed === undefined)
      throw configError('--profile and --seed go together');
    if (values.seed.length === 0) throw configError('--seed must not be empty');
    const { isProfileName, PROFILE_NAMES, PROFILES } = await import('../sandbox/profiles.ts');
    if (!isProfileName(values.profile))
      throw configError(`unknown sandbox profile '${values.profile}' (one of: ${PROFILE_NAMES.join(', ')})`);
    // Said before a challenge is asked for (and spent): the profile's recipe has no AA key (no DG15).
    if (values.challenge && PROFILES[values.profile].recipe.aa === 'none')
      throw configError(
        `sandbox profile ${values.profile} has no Active Authentication key: drop --challenge`,
      );
  }
  const fileDump = dumpPath !== undefined ? readDumpFile(resolve(cwd, dumpPath)).json : undefined;
  if (values.challenge && !sandbox && fileDump) {
    if (fileDump.dg15 === undefined)
      throw configError(
        `${dumpPath} has no Active Authentication key (no DG15): nothing can answer a challenge, drop --challenge`,
      );
  }
  if (values.challenge && !sandbox)
    throw configError(
      '--challenge needs the card: a sandbox dump with its .chip.json beside it, or --profile and --seed (see --help)',
    );
  if (!sandbox && dumpPath === undefined)
    throw configError('expected a dump file (see chipid submit --help)');
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    if (!/^\d{1,7}$/.test(values.timeout) || Number(values.timeout) === 0)
      throw configError('--timeout must be a positive number of milliseconds');
    timeoutMs = Number(values.timeout);
  }

  const client = createClient({
    baseUrl: url,
    clientId,
    privateKey: privateJwk,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });

  // An unreachable service: say where its URL came from (a stopped `npm start` leaves its file behind).
  const reach = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (e) {
      if (!isChipIdError(e) || e.code !== 'ERR_NETWORK') throw e;
      const from = values.url !== undefined ? '--url' : local.path;
      throw new ChipIdError('ERR_NETWORK', `${e.message}; is the service running? (URL from ${from})`, {
        cause: e,
      });
    }
  };
  let challenge: Challenge | undefined;
  let dump: ChipDumpJSON;
  if (sandbox) {
    if (values.challenge) challenge = await reach(client.challenge());
    dump = await sandboxCard(values.profile as ProfileName, values.seed!, challenge?.challenge, faceSize);
    if (fileDump && (fileDump.sod !== dump.sod || fileDump.dg1 !== dump.dg1))
      throw configError(`${dumpPath} is not the sandbox card ${values.profile} with that seed`);
  } else {
    dump = fileDump!;
  }

  const out = await reach(
    client.verify(dump, {
      scope,
      purpose,
      ...(challenge ? { challenge: { id: challenge.id, challenge: challenge.challenge } } : {}),
      ...(values.multipart ? { transport: 'multipart' as const } : {}),
    }),
  );
  printJSON({
    id: out.id,
    result: out.result,
    reasons: out.reasons,
    assertion: out.assertion,
    claims: out.claims,
    // Scope portrait: the face was checked against the assertion's digest; its size, not its bytes.
    ...(out.portrait
      ? { portrait: { mediaType: out.portrait.mediaType, bytes: out.portrait.bytes.length } }
      : {}),
  });
  return out.result === 'verified' ? 0 : 1;
}

function parse(argv: string[]) {
  return parseCommandArgs('submit', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      scope: { type: 'string' },
      purpose: { type: 'string' },
      challenge: { type: 'boolean', default: false },
      profile: { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      multipart: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
