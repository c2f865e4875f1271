/**
 * `chipid sandbox` — the sandbox PKI and test chips (issue 3 CLI contract):
 *   chipid sandbox csca                         sandbox CSCA certificate (PEM) on stdout
 *   chipid sandbox card --profile <name> [--seed <n>] [--challenge <hex>] --out <dump.json>
 *                                               writes a chipid.dump/1 file, prints a one-line JSON summary
 *   chipid sandbox profiles                     profiles with their expected outcome (JSON)
 *   chipid sandbox registry                     the sandbox registry seed (JSONL)
 * Exit codes: 0 ok, 2 usage error (unknown profile, bad flag) with a one-line message on stderr.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../lib/bytes.ts';
import {
  isProfileName,
  listProfiles,
  makeCard,
  PROFILE_NAMES,
  sandboxCSCA,
  sandboxRegistryJSONL,
} from '../sandbox/index.ts';
import { argsErrorText, type SandboxChipFile, sandboxChipPath } from './io.ts';

const USAGE = [
  'usage: chipid sandbox csca',
  '       chipid sandbox card --profile <name> [--seed <n>] [--challenge <hex>] [--face-size <bytes>] --out <dump.json|->',
  '       chipid sandbox profiles',
  '       chipid sandbox registry',
  '',
].join('\n');

const CARD_USAGE = `usage: chipid sandbox card --profile <name> [--seed <n>] [--challenge <hex>] [--face-size <bytes>] --out <dump.json|->

Writes a complete, correctly signed sandbox chip dump (chipid.dump/1) for one of the profiles
(chipid sandbox profiles), and beside it <dump>.chip.json: the profile and seed that rebuild the card,
so its virtual chip can answer a service challenge later (chipid submit <dump.json> --challenge).
  --seed <n>            same seed → byte-identical card and chip key (default: random, kept in the
                        .chip.json); the citizen is always the profile's ready citizen (docs/sandbox.md)
  --challenge <hex>     the virtual chip signs these bytes (Active Authentication answer in the dump)
  --face-size <bytes>   DG2 face image size (default ≈ 15 KB)
  --out -               the dump on stdout instead of a file (the summary, with the seed, on stderr)
`;

class UsageError extends Error {}

function fail(message: string): number {
  process.stderr.write(`chipid sandbox: ${message}\n`);
  return 2;
}

/** What the commands without options print for `--help`. */
const SIMPLE_USAGE: Record<'csca' | 'profiles' | 'registry', string> = {
  csca: 'usage: chipid sandbox csca\n\nPrints the sandbox CSCA certificate (PEM): the trust anchor of every sandbox card\n(chipid verify <dump.json> --csca <file>).\n',
  profiles:
    "usage: chipid sandbox profiles\n\nPrints the sandbox card profiles (JSON): each one's expected result and reasons.\n",
  registry:
    'usage: chipid sandbox registry\n\nPrints the sandbox registry seed (JSONL): the citizens and cards the sandbox service knows.\n',
};

/** `true` when the command was asked for its usage (printed); a usage error for any other argument. */
function noArgs(sub: keyof typeof SIMPLE_USAGE, rest: string[]): boolean {
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(SIMPLE_USAGE[sub]);
    return true;
  }
  if (rest.length) throw new UsageError(`'${sub}' takes no arguments`);
  return false;
}

async function card(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string' },
      seed: { type: 'string' },
      challenge: { type: 'string' },
      out: { type: 'string' },
      'face-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(CARD_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const profile = values.profile;
  if (!profile) throw new UsageError('--profile <name> is required');
  if (!isProfileName(profile))
    throw new UsageError(`unknown profile '${profile}' (one of: ${PROFILE_NAMES.join(', ')})`);
  if (!values.out) throw new UsageError('--out <dump.json> is required (use - for stdout)');
  let challenge: Uint8Array | undefined;
  if (values.challenge !== undefined) {
    if (!/^(?:[0-9a-fA-F]{2}){1,256}$/.test(values.challenge))
      throw new UsageError('--challenge must be 1–256 bytes of hex');
    challenge = fromHex(values.challenge);
  }
  let faceSize: number | undefined;
  if (values['face-size'] !== undefined) {
    faceSize = Number(values['face-size']);
    if (!Number.isInteger(faceSize) || faceSize < 0 || faceSize > 1_000_000)
      throw new UsageError('--face-size must be an integer number of bytes ≤ 1000000');
  }
  if (values.seed !== undefined && values.seed.length === 0) throw new UsageError('--seed must not be empty');
  // Without --seed the card is random; the seed drawn for it is kept beside the dump so the sandbox
  // virtual chip can later answer challenges for this very card (`chipid submit --challenge`).
  const seed = values.seed ?? toHex(crypto.getRandomValues(new Uint8Array(16)));
  const made = await makeCard({
    profile,
    seed,
    ...(challenge ? { challenge } : {}),
    ...(faceSize ? { faceSize } : {}),
  });
  const text = `${JSON.stringify(made.dump, null, 2)}\n`;
  const toStdout = values.out === '-';
  if (toStdout) process.stdout.write(text);
  else await writeFile(values.out, text);
  const chip: SandboxChipFile = {
    format: 'chipid.sandbox-chip/1',
    profile: made.profile.name,
    seed,
    ...(faceSize ? { faceSize } : {}),
  };
  const chipFile = made.chip && !toStdout ? sandboxChipPath(values.out) : undefined;
  if (chipFile) await writeFile(chipFile, `${JSON.stringify(chip, null, 2)}\n`);
  const summary = {
    profile: made.profile.name,
    out: values.out,
    seed,
    ...(chipFile ? { chip: chipFile } : {}),
    documentNumber: made.card.documentNumber,
    idNumber: made.citizen.idNumber,
    files: Object.keys(made.dump).filter((k) => k !== 'format' && k !== 'aa'),
    aa: made.dump.aa !== undefined,
    expected: made.profile.expected,
  };
  // With the dump on stdout, the summary (and so the seed that rebuilds the card) goes to stderr.
  (toStdout ? process.stderr : process.stdout).write(`${JSON.stringify(summary)}\n`);
  return 0;
}

/** Entry point of `chipid sandbox …`. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'csca':
        if (noArgs(sub, rest)) return 0;
        process.stdout.write((await sandboxCSCA()).pem);
        return 0;
      case 'profiles':
        if (noArgs(sub, rest)) return 0;
        process.stdout.write(`${JSON.stringify(listProfiles(), null, 2)}\n`);
        return 0;
      case 'registry':
        if (noArgs(sub, rest)) return 0;
        process.stdout.write(sandboxRegistryJSONL());
        return 0;
      case 'card':
        return await card(rest);
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        return fail(`unknown subcommand '${sub}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message);
    const text = argsErrorText(e);
    if (text !== undefined) return fail(`${text} (see chipid sandbox ${sub} --help)`);
    throw e;
  }
}
