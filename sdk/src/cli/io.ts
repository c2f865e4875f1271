/** File helpers shared by the CLI commands (Node only). */
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ChipIdError } from '../errors.ts';
import { type ChipDump, type ChipDumpJSON, DUMP_FORMAT, FILE_TAG, parseDump } from '../icao/dump.ts';
import { toBase64 } from '../lib/bytes.ts';

/** Why a file could not be read, in words: `no such file`, `permission denied`, `a directory`. */
export function readFailure(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'a directory, not a file';
    default:
      return typeof code === 'string' ? code : 'unreadable';
  }
}

/** Reads and validates a `chipid.dump/1` file. Throws ChipIdError (exit 2) when unusable. */
export function readDumpFile(path: string): { json: ChipDumpJSON; dump: ChipDump } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ChipIdError('ERR_DUMP_INVALID', `cannot read ${path}: ${readFailure(cause)}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChipIdError('ERR_DUMP_INVALID', `${path} is not JSON`, { cause });
  }
  const dump = parseDump(json);
  return { json: json as ChipDumpJSON, dump };
}

/** The elementary files a dump holds, by member name, with their outer LDS tag (Doc 9303 Part 10 §4.6). */
export const RAW_FILES = FILE_TAG;
export type RawFileName = keyof typeof RAW_FILES;

/** Which elementary file raw bytes are, by their first byte (the outer LDS tag). */
export function rawFileName(bytes: Uint8Array): RawFileName | undefined {
  return (Object.keys(RAW_FILES) as RawFileName[]).find((k) => RAW_FILES[k] === bytes[0]);
}

function readBytes(path: string, code: 'ERR_DUMP_INVALID' | 'ERR_CONFIG'): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ChipIdError(code, `cannot read ${path}: ${readFailure(cause)}`, { cause });
  }
}

/**
 * A chip input file: a `chipid.dump/1` JSON file, or one raw elementary file as a desk reader or
 * JMRTD writes it (`sod.bin`, `dg1.bin`: the bytes as read, outer tag first).
 */
export function readChipInput(
  path: string,
):
  | { kind: 'dump'; json: ChipDumpJSON; dump: ChipDump }
  | { kind: 'file'; name: RawFileName; bytes: Uint8Array } {
  const bytes = readBytes(path, 'ERR_DUMP_INVALID');
  const name = rawFileName(bytes);
  if (name) return { kind: 'file', name, bytes };
  return { kind: 'dump', ...readDumpFile(path) };
}

/**
 * Assembles a `chipid.dump/1` from raw elementary files (`--sod sod.bin --dg1 dg1.bin …`): each file's
 * outer tag must be the one its flag names. SOD and DG1 are required, as in every dump.
 */
export function dumpFromFiles(files: Partial<Record<RawFileName, string>>): ChipDumpJSON {
  const json: Record<string, string> = { format: DUMP_FORMAT };
  for (const name of Object.keys(RAW_FILES) as RawFileName[]) {
    const path = files[name];
    if (path === undefined) continue;
    const bytes = readBytes(path, 'ERR_DUMP_INVALID');
    const found = rawFileName(bytes);
    if (found !== name)
      throw new ChipIdError(
        'ERR_DUMP_INVALID',
        `--${name} ${path}: ${
          found
            ? `is ${found.toUpperCase()} (outer tag 0x${RAW_FILES[found].toString(16)}), not ${name.toUpperCase()}`
            : `does not start with ${name.toUpperCase()}'s tag 0x${RAW_FILES[name].toString(16)} (a raw elementary file as read from the chip is expected)`
        }`,
      );
    json[name] = toBase64(bytes);
  }
  for (const need of ['sod', 'dg1'] as const)
    if (json[need] === undefined)
      throw new ChipIdError('ERR_CONFIG', `--${need} <file> is missing (every dump has EF.SOD and DG1)`);
  parseDump(json); // the same validation every dump gets
  return json as unknown as ChipDumpJSON;
}

/** `parseArgs` options for raw elementary files: `--sod <file>`, `--dg1 <file>`, … */
export const RAW_FILE_OPTIONS = Object.fromEntries(
  Object.keys(RAW_FILES).map((k) => [k, { type: 'string' as const }]),
) as Record<RawFileName, { type: 'string' }>;

/** PEM text or DER bytes of a certificate/CRL file. */
export function readPemOrDer(path: string): Uint8Array | string {
  const bytes = readBytes(path, 'ERR_CONFIG');
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  return head.includes('-----BEGIN') ? new TextDecoder().decode(bytes) : bytes;
}

export function printJSON(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The sandbox "chip" beside a dump written by `chipid sandbox card --out card.json`: `card.chip.json`
 * holds the profile and seed that rebuild the same card, so `chipid submit card.json --challenge` can
 * have the sandbox virtual chip answer a fresh service challenge (a real card answers over NFC).
 */
export interface SandboxChipFile {
  format: 'chipid.sandbox-chip/1';
  profile: string;
  seed: string;
  /** DG2 size in bytes when the card was made with `--face-size` (the default face otherwise). */
  faceSize?: number;
}

export function sandboxChipPath(dumpPath: string): string {
  return `${dumpPath.replace(/\.json$/i, '')}.chip.json`;
}

export function readSandboxChip(dumpPath: string): SandboxChipFile | undefined {
  let text: string;
  try {
    text = readFileSync(sandboxChipPath(dumpPath), 'utf8');
  } catch {
    return undefined;
  }
  const v = JSON.parse(text) as Partial<SandboxChipFile>;
  if (
    v.format !== 'chipid.sandbox-chip/1' ||
    typeof v.profile !== 'string' ||
    typeof v.seed !== 'string' ||
    (v.faceSize !== undefined && !Number.isSafeInteger(v.faceSize))
  )
    throw new ChipIdError('ERR_CONFIG', `${sandboxChipPath(dumpPath)} is not a chipid.sandbox-chip/1 file`);
  return v as SandboxChipFile;
}

/**
 * The point of a `parseArgs` error (unknown or malformed flag), or undefined for any other error. Node's
 * text ("Unknown option '--x'. To specify a positional argument starting with a '-', place it at the end
 * of the command after '--', as in …") is cut to its first sentence.
 */
export function argsErrorText(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return undefined;
  const first = ((e as Error).message.split('\n')[0] ?? '').split(/\.\s/)[0] || 'bad arguments';
  return first.replace(/\.$/, '');
}

/** `parseArgs` whose flag errors are usage errors (ERR_CONFIG, exit 2) pointing at the command's help. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (cause) {
    const text = argsErrorText(cause);
    if (text === undefined) throw cause;
    throw new ChipIdError('ERR_CONFIG', `${text} (see chipid ${command} --help)`, { cause });
  }
}
