/**
 * `chipid read` — reads a chip through the full APDU protocol (ICAO Doc 9303 Part 11: PACE or BAC, secure
 * messaging, Chip and Active Authentication) and writes the `chipid.dump/1`:
 *
 *   chipid read (--can <digits> | --mrz <documentNumber>,<YYMMDD birth>,<YYMMDD expiry> |
 *                --cccd <12-digit id> --dob <YYMMDD> --doe <YYMMDD>)
 *               (--virtual <profile> [--seed <n>] | --reader [<name>])
 *               [--challenge <hex>] [--resume <partial.json>] --out <dump.json | ->
 *
 * Progress goes to stderr. Exit 0 read; 1 the card refused (wrong key, protocol); 2 usage, no reader,
 * transport (an interrupted read is written to <out>.partial.json: run again with --resume).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import { ChipIdError } from '../errors.ts';
import { fromHex, toHex } from '../lib/bytes.ts';
import type { PartialRead } from '../reader/errors.ts';
import { ReaderError } from '../reader/errors.ts';
import { type ChipRead, type ReadKey, type ReadProgress, readChip } from '../reader/read-chip.ts';
import type { ChipTransport } from '../reader/transport.ts';
import { isProfileName, PROFILE_NAMES, type ProfileName } from '../sandbox/profiles.ts';
import { parseCommandArgs } from './io.ts';

export const READ_USAGE = `usage: chipid read (--can <digits> | --mrz <documentNumber>,<YYMMDD birth>,<YYMMDD expiry> |
                   --cccd <12-digit id> --dob <YYMMDD> --doe <YYMMDD>)
                  (--virtual <profile> [--seed <n>] | --reader [<name>])
                  [--challenge <hex>] [--resume <partial.json>] --out <dump.json | ->

Reads an eMRTD / CCCD chip through the full APDU protocol — PACE (CAN or MRZ) or BAC, secure
messaging, every file its security object lists, Chip Authentication, and Active Authentication
on --challenge — and writes the chipid.dump/1 (progress on stderr).

  --can <digits>        the Card Access Number (a CCCD's: the last 6 digits of its id number)
  --mrz <doc>,<birth>,<expiry>   the MRZ key: document number, dates YYMMDD
  --cccd <id> --dob <YYMMDD> --doe <YYMMDD>   a CCCD: PACE with its CAN, BAC with its MRZ key
  --virtual <profile>   the virtual chip of 'chipid sandbox card --profile <profile> --seed <n>'
  --seed <n>            with --virtual: the sandbox card's seed (same files, byte for byte)
  --reader [<name>]     a PC/SC reader (the first with a card, or the one whose name contains <name>)
  --challenge <hex>     the service's challenge: the chip's Active Authentication answer goes in the dump
  --resume <file>       continue an interrupted read (the .partial.json it left)
  --out <file> | -      where the dump goes (- for stdout)

Exit 0 read; 1 the card refused (wrong key, protocol); 2 usage, no reader, transport (an
interrupted read leaves <out>.partial.json: run the same command with --resume <it>).
`;

/** The flags of a read (shared with `chipid submit --read`). */
export const READ_OPTIONS = {
  can: { type: 'string' },
  mrz: { type: 'string' },
  cccd: { type: 'string' },
  dob: { type: 'string' },
  doe: { type: 'string' },
  virtual: { type: 'string' },
  seed: { type: 'string' },
  reader: { type: 'string' },
  challenge: { type: 'string' },
  resume: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Where the chip is. */
export type ReadSource =
  | { kind: 'virtual'; profile: ProfileName; seed?: string }
  | { kind: 'reader'; name?: string };

/** A parsed read command line. */
export interface ReadArgs {
  key: ReadKey;
  source: ReadSource;
  challenge?: Uint8Array;
  /** Path of a partial read to continue. */
  resume?: string;
  /** Where the dump goes (`-`: stdout). */
  out?: string;
  help: boolean;
  /** Every flag as parsed (for commands that add their own, like `submit --read --scope`). */
  values: Record<string, string | boolean | undefined>;
}

const usageError = (msg: string) => new ChipIdError('ERR_CONFIG', `${msg} (see chipid read --help)`);
const YYMMDD = /^\d{6}$/;

/**
 * Parses the read flags. `--reader` may come without a name (then the next argument, when it is another
 * flag, is not taken as the name). `extra` adds a command's own flags.
 *
 * @throws ChipIdError `ERR_CONFIG` on a usage error
 */
export function parseReadArgs(
  argv: string[],
  o: { extra?: NonNullable<ParseArgsConfig['options']>; requireOut?: boolean; command?: string } = {},
): ReadArgs {
  // `--reader` with no value: give parseArgs an empty name.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    args.push(a);
    if (a === '--reader' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) args.push('');
  }
  const { values } = parseCommandArgs(o.command ?? 'read', {
    args,
    options: { ...READ_OPTIONS, ...(o.extra ?? {}) },
    strict: true,
    allowPositionals: false,
  });
  const v = values as Record<string, string | boolean | undefined>;
  const base = { help: v.help === true, values: v };
  if (v.help) return { ...base, key: { can: '' }, source: { kind: 'reader' } };
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

  const keys = ['can', 'mrz', 'cccd'].filter((k) => str(k) !== undefined);
  if (keys.length !== 1) throw usageError('give exactly one of --can, --mrz, --cccd');
  let key: ReadKey;
  if (str('can') !== undefined) {
    const can = str('can')!;
    if (!/^\d{6}$/.test(can)) throw usageError('--can must be 6 digits');
    key = { can };
  } else if (str('mrz') !== undefined) {
    const parts = str('mrz')!.split(',');
    if (parts.length !== 3) throw usageError('--mrz is <documentNumber>,<YYMMDD birth>,<YYMMDD expiry>');
    const [documentNumber, dateOfBirth, dateOfExpiry] = parts as [string, string, string];
    if (!/^[0-9A-Za-z<]{1,9}$/.test(documentNumber))
      throw usageError('--mrz: the document number is 1–9 letters or digits');
    if (!YYMMDD.test(dateOfBirth) || !YYMMDD.test(dateOfExpiry)) throw usageError('--mrz: dates are YYMMDD');
    key = { mrz: { documentNumber: documentNumber.toUpperCase(), dateOfBirth, dateOfExpiry } };
  } else {
    const idNumber = str('cccd')!;
    if (!/^\d{12}$/.test(idNumber)) throw usageError('--cccd must be the 12-digit id number');
    const dob = str('dob');
    const doe = str('doe');
    if (!dob || !doe) throw usageError('--cccd needs --dob <YYMMDD> and --doe <YYMMDD>');
    if (!YYMMDD.test(dob) || !YYMMDD.test(doe)) throw usageError('--dob and --doe are YYMMDD');
    key = { cccd: { idNumber, dateOfBirth: dob, dateOfExpiry: doe } };
  }
  if (str('cccd') === undefined && (str('dob') !== undefined || str('doe') !== undefined))
    throw usageError('--dob and --doe go with --cccd');

  const virtual = str('virtual');
  const reader = str('reader');
  if ((virtual === undefined) === (reader === undefined))
    throw usageError('give one of --virtual <profile> or --reader [<name>]');
  let source: ReadSource;
  if (virtual !== undefined) {
    if (!isProfileName(virtual))
      throw usageError(`unknown profile '${virtual}' (one of: ${PROFILE_NAMES.join(', ')})`);
    const seed = str('seed');
    if (seed !== undefined && seed.length === 0) throw usageError('--seed must not be empty');
    source = { kind: 'virtual', profile: virtual, ...(seed !== undefined ? { seed } : {}) };
  } else {
    if (str('seed') !== undefined) throw usageError('--seed goes with --virtual');
    source = { kind: 'reader', ...(reader ? { name: reader } : {}) };
  }

  let challenge: Uint8Array | undefined;
  const ch = str('challenge');
  if (ch !== undefined) {
    if (!/^(?:[0-9a-fA-F]{2}){1,256}$/.test(ch)) throw usageError('--challenge must be 1–256 bytes of hex');
    challenge = fromHex(ch);
  }
  const out = str('out');
  if (o.requireOut !== false && !out) throw usageError('--out <dump.json> is required (use - for stdout)');
  return {
    ...base,
    key,
    source,
    ...(challenge ? { challenge } : {}),
    ...(str('resume') !== undefined ? { resume: str('resume')! } : {}),
    ...(out ? { out } : {}),
  };
}

/** Opens the chip a read names: the sandbox virtual chip, or a PC/SC reader. */
export async function openReadSource(
  source: ReadSource,
): Promise<{ transport: ChipTransport; close(): Promise<void>; label: string }> {
  if (source.kind === 'virtual') {
    const { virtualCardFor } = await import('../sandbox/virtual-card/index.ts');
    const seed = source.seed ?? toHex(crypto.getRandomValues(new Uint8Array(16)));
    const chip = await virtualCardFor(source.profile, seed);
    return { transport: chip, close: async () => {}, label: `virtual chip ${source.profile} (seed ${seed})` };
  }
  const pcsc = (await import('./pcsc.ts')) as {
    openPcscTransport?: (name?: string) => Promise<ChipTransport & { close(): Promise<void> }>;
  };
  if (typeof pcsc.openPcscTransport !== 'function')
    throw new ReaderError('ERR_TRANSPORT', 'read: this build has no PC/SC support');
  const t = await pcsc.openPcscTransport(source.name);
  return { transport: t, close: () => t.close(), label: `reader${source.name ? ` ${source.name}` : ''}` };
}

function progressPrinter(write: (s: string) => void): (p: ReadProgress) => void {
  let last = '';
  return (p) => {
    if (p.step === 'read') {
      if (p.bytesTotal !== undefined && p.bytesRead === p.bytesTotal)
        write(`chipid read: ${p.file} ${p.bytesTotal} bytes\n`);
      return;
    }
    if (p.step !== last) write(`chipid read: ${p.step}\n`);
    last = p.step;
  };
}

/**
 * Reads the chip a parsed command line names (the transport opened and closed around the read).
 *
 * @example
 * const args = parseReadArgs(argv, { requireOut: false });
 * const { dump } = await readFromArgs(args, challenge);
 */
export async function readFromArgs(
  args: ReadArgs,
  challenge: Uint8Array | undefined = args.challenge,
  onProgress: (p: ReadProgress) => void = progressPrinter((s) => process.stderr.write(s)),
): Promise<ChipRead> {
  let resume: PartialRead | undefined;
  if (args.resume) {
    try {
      resume = JSON.parse(await readFile(args.resume, 'utf8')) as PartialRead;
    } catch (cause) {
      throw new ChipIdError('ERR_CONFIG', `read: cannot read the partial read ${args.resume}`, { cause });
    }
    if (resume?.format !== 'chipid.partial/1')
      throw new ChipIdError('ERR_CONFIG', `read: ${args.resume} is not a chipid.partial/1`);
  }
  const src = await openReadSource(args.source);
  try {
    return await readChip(src.transport, {
      key: args.key,
      ...(challenge ? { challenge } : {}),
      ...(resume ? { resume } : {}),
      onProgress,
    });
  } finally {
    await src.close();
  }
}

/** Where an interrupted read is kept. */
export const partialPath = (out: string | undefined): string =>
  !out || out === '-' ? 'chipid-read.partial.json' : `${out.replace(/\.json$/, '')}.partial.json`;

/** Exit code of a read failure: 1 the card refused, 2 usage / no reader / transport. */
export function readExitCode(e: unknown): number {
  if (
    e instanceof ChipIdError &&
    ['ERR_ACCESS_DENIED', 'ERR_PROTOCOL_UNSUPPORTED', 'ERR_FILE_NOT_FOUND', 'ERR_SECURE_MESSAGING'].includes(
      e.code,
    )
  )
    return 1;
  return 2;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseReadArgs(argv);
  if (args.help) {
    process.stdout.write(READ_USAGE);
    return 0;
  }
  let read: ChipRead;
  try {
    read = await readFromArgs(args);
  } catch (e) {
    if (e instanceof ReaderError) {
      process.stderr.write(`chipid read: ${e.code}: ${e.message}\n  ${e.hint}\n`);
      if (e.partial && e.code === 'ERR_TRANSPORT') {
        const file = partialPath(args.out);
        await writeFile(file, `${JSON.stringify(e.partial)}\n`);
        process.stderr.write(
          `chipid read: the read was interrupted; what was read is in ${file}: run the same command with --resume ${file}\n`,
        );
      }
      return readExitCode(e);
    }
    throw e;
  }
  const text = `${JSON.stringify(read.dump, null, 2)}\n`;
  if (args.out === '-') process.stdout.write(text);
  else await writeFile(args.out!, text);
  const summary = {
    out: args.out,
    accessControl: read.accessControl,
    ...(read.pace ? { pace: read.pace } : {}),
    chipAuthentication: read.chipAuthentication,
    activeAuthentication: read.activeAuthentication,
    files: Object.keys(read.dump).filter((k) => k !== 'format' && k !== 'aa'),
    apdus: read.counters.apdus,
    bytesSent: read.counters.bytesSent,
    bytesReceived: read.counters.bytesReceived,
  };
  (args.out === '-' ? process.stderr : process.stdout).write(`${JSON.stringify(summary)}\n`);
  return 0;
}
