/**
 * `chipid submit` — sends a chip dump to the chipid service with the SDK client
 * (SERVICE-CONTRACT.md "RP endpoints") and prints the verified outcome and assertion as JSON.
 * `chipid submit --read …` reads the chip first (issue 17: a fresh challenge from the service, the chip
 * read through the full APDU protocol answering it, then the submission): card to signed assertion.
 *
 * Exit codes: 0 verified, 1 rejected or inconclusive (with --read also: the card refused the key or the
 * protocol), 2 unusable input, configuration, transport or network error (one line on stderr).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient } from '../client/client.ts';
import type { Challenge, VerificationOutcome } from '../client/types.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import { ReaderError } from '../reader/errors.ts';
import type { ProfileName } from '../sandbox/index.ts';
import { configError, resolveCredentials } from './config.ts';
import { parseCommandArgs, printJSON, readDumpFile, readSandboxChip } from './io.ts';
import type { ReadArgs } from './read.ts';

const HELP = `usage: chipid submit <dump.json> [options]
       chipid submit --profile <name> --seed <n> [--challenge] [options]
       chipid submit --read (--can <digits> | --mrz <doc>,<YYMMDD birth>,<YYMMDD expiry> |
                     --cccd <12-digit id> --dob <YYMMDD> --doe <YYMMDD>)
                     (--virtual <profile> [--seed <n>] | --reader [<name>]) [options]

Sends a chipid.dump/1 file to the chipid service (POST /v1/verifications), checks the signed
assertion against the service's JWKS and prints { id, result, reasons, assertion, claims } as JSON.
Exit 0 verified, 1 rejected or inconclusive, 2 unusable input, configuration or network error.

Configuration comes from .chipid/local.json in the current directory or the nearest one above it
(written by \`npm start\`: { "url", "clientId", "privateJwk" }); flags override it.

options:
  --url <U>             service base URL
  --service-url <U>     the service's own URL (the token audience) when --url reaches it through a
                        proxy, tunnel or Docker port (default: --url; the service names the URL it
                        expects in a 401 and in /openapi.json servers[0])
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
cannot answer it. In the sandbox, \`chipid sandbox card --out card.json\` writes the card's virtual
chip beside the dump as card.chip.json, and \`chipid submit card.json --challenge\` has it sign; or
give --profile and --seed: the command rebuilds the same card with its virtual chip (the dump file,
if also given, must be that card). With a real card, the reading app does this step
(client.challenge() then client.verify()) — or --read below.

--read: one command from the card to the signed assertion. It asks the service for a fresh challenge,
reads the chip through the full APDU protocol (PACE or BAC, secure messaging, Chip Authentication,
every file, INTERNAL AUTHENTICATE over that challenge; progress on stderr) and submits the dump.
  --can <digits>        the Card Access Number (a CCCD's: the last 6 digits of its id number)
  --mrz <doc>,<birth>,<expiry>   the MRZ key: document number, dates YYMMDD
  --cccd <id> --dob <YYMMDD> --doe <YYMMDD>   a CCCD: PACE with its CAN, BAC with its MRZ key
  --virtual <profile>   the APDU-level virtual chip of 'chipid sandbox card --profile <profile> --seed <n>'
  --seed <n>            with --virtual: that card's seed
  --reader [<name>]     a PC/SC reader (the first with a card, or the one whose name contains <name>)
  --resume <file>       continue an interrupted read (the chipid-read.partial.json it left)
Exit 1 also when the card refused the key (do not retry the same key: cards count failures); a lost
card is exit 2 with what was read kept for --resume.
`;

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

/** The service connection from flags and `.chipid/local.json`: the client and a reachability wrapper. */
function connect(
  values: { url?: string; 'service-url'?: string; 'client-id'?: string; key?: string; timeout?: string },
  cwd: string,
): { client: ReturnType<typeof createClient>; reach: <T>(call: Promise<T>) => Promise<T> } {
  const creds = resolveCredentials(values, cwd);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    if (!/^\d{1,7}$/.test(values.timeout) || Number(values.timeout) === 0)
      throw configError('--timeout must be a positive number of milliseconds');
    timeoutMs = Number(values.timeout);
  }
  const client = createClient({
    baseUrl: creds.url,
    clientId: creds.clientId,
    privateKey: creds.privateJwk,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    // Proxy, tunnel, Docker: the audience (and issuer) is the service's own URL.
    ...(creds.serviceUrl !== creds.url.replace(/\/+$/, '') ? { serviceUrl: creds.serviceUrl } : {}),
  });
  // An unreachable service: say where its URL came from (a stopped `npm start` leaves its file behind).
  const reach = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (e) {
      if (!isChipIdError(e) || e.code !== 'ERR_NETWORK') throw e;
      throw new ChipIdError('ERR_NETWORK', `${e.message}; is the service running? (URL from ${creds.from})`, {
        cause: e,
      });
    }
  };
  return { client, reach };
}

const scopeOf = (scope: string | undefined): string[] =>
  scope
    ? scope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** What `chipid submit` prints: the outcome and the assertion. */
function printOutcome(out: VerificationOutcome): number {
  printJSON({
    id: out.id,
    result: out.result,
    reasons: out.reasons,
    assertion: out.assertion,
    claims: out.claims,
    ...(out.withheld ? { withheld: out.withheld } : {}),
    // Scope portrait: the face was checked against the assertion's digest; its size, not its bytes.
    ...(out.portrait
      ? { portrait: { mediaType: out.portrait.mediaType, bytes: out.portrait.bytes.length } }
      : {}),
  });
  return out.result === 'verified' ? 0 : 1;
}

/** `chipid submit --read …`: challenge, read answering it, submit. */
async function runRead(argv: string[], cwd: string): Promise<number> {
  const { parseReadArgs, readFromArgs, readExitCode } = await import('./read.ts');
  const args: ReadArgs = parseReadArgs(argv, {
    command: 'submit',
    requireOut: false,
    extra: SUBMIT_READ_OPTIONS,
  });
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const v = args.values as Record<string, string | boolean | undefined>;
  if (args.challenge !== undefined)
    throw configError('--read asks the service for its own challenge: drop --challenge');
  if (args.out !== undefined)
    throw configError('--read submits what it reads: drop --out (chipid read writes dumps)');
  if (v.profile !== undefined)
    throw configError('--profile does not go with --read (use --virtual <profile>)');
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const { client, reach } = connect(
    {
      ...(str('url') !== undefined ? { url: str('url')! } : {}),
      ...(str('service-url') !== undefined ? { 'service-url': str('service-url')! } : {}),
      ...(str('client-id') !== undefined ? { 'client-id': str('client-id')! } : {}),
      ...(str('key') !== undefined ? { key: str('key')! } : {}),
      ...(str('timeout') !== undefined ? { timeout: str('timeout')! } : {}),
    },
    cwd,
  );
  if (args.resume !== undefined) args.resume = resolve(cwd, args.resume);
  // The challenge right before the read: it is single use and lives ≤ 120 s.
  const challenge = await reach(client.challenge());
  let read: Awaited<ReturnType<typeof readFromArgs>>;
  try {
    read = await readFromArgs(args, challenge.challenge);
  } catch (e) {
    if (!(e instanceof ReaderError)) throw e;
    process.stderr.write(`chipid submit: ${e.code}: ${e.message}\n  ${e.hint}\n`);
    if (e.partial && e.code === 'ERR_TRANSPORT') {
      const file = resolve(cwd, 'chipid-read.partial.json');
      writeFileSync(file, `${JSON.stringify(e.partial)}\n`);
      process.stderr.write(
        `chipid submit: the read was interrupted; what was read is in ${file}: run the same command with --resume ${file}\n`,
      );
    }
    return readExitCode(e);
  }
  process.stderr.write(
    `chipid submit: read ${read.accessControl}${read.pace ? ` (${read.pace.mapping} ${read.pace.curve} ${read.pace.cipher}, ${read.pace.password})` : ''}, chip authentication ${read.chipAuthentication}, ${read.counters.apdus} APDUs\n`,
  );
  const out = await reach(
    client.verify(read.dump, {
      scope: scopeOf(str('scope')),
      purpose: str('purpose') ?? 'chipid submit',
      challenge,
      ...(v.multipart === true ? { transport: 'multipart' as const } : {}),
    }),
  );
  return printOutcome(out);
}

export async function run(argv: string[], cwd: string = process.cwd()): Promise<number> {
  if (argv.includes('--read')) return runRead(argv, cwd);
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw configError('expected one dump file (see chipid submit --help)');
  const dumpPath = positionals[0];

  const { client, reach } = connect(values, cwd);
  const scope = scopeOf(values.scope);
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
  return printOutcome(out);
}

/** Submit's own flags beside the read flags of `--read` (read.ts's READ_OPTIONS). */
const SUBMIT_READ_OPTIONS = {
  read: { type: 'boolean' },
  url: { type: 'string' },
  'service-url': { type: 'string' },
  'client-id': { type: 'string' },
  key: { type: 'string' },
  scope: { type: 'string' },
  purpose: { type: 'string' },
  profile: { type: 'string' },
  timeout: { type: 'string' },
  multipart: { type: 'boolean' },
} as const;

function parse(argv: string[]) {
  return parseCommandArgs('submit', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      'service-url': { type: 'string' },
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
