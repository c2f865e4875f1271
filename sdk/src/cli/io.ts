/** File helpers shared by the CLI commands (Node only). */
import { readFileSync } from 'node:fs';
import { ChipIdError } from '../errors.ts';
import { type ChipDump, type ChipDumpJSON, parseDump } from '../icao/dump.ts';

/** Reads and validates a `chipid.dump/1` file. Throws ChipIdError (exit 2) when unusable. */
export function readDumpFile(path: string): { json: ChipDumpJSON; dump: ChipDump } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ChipIdError('ERR_DUMP_INVALID', `cannot read ${path}`, { cause });
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

/** PEM text or DER bytes of a certificate/CRL file. */
export function readPemOrDer(path: string): Uint8Array | string {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ChipIdError('ERR_CONFIG', `cannot read ${path}`, { cause });
  }
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
  if (v.format !== 'chipid.sandbox-chip/1' || typeof v.profile !== 'string' || typeof v.seed !== 'string')
    throw new ChipIdError('ERR_CONFIG', `${sandboxChipPath(dumpPath)} is not a chipid.sandbox-chip/1 file`);
  return v as SandboxChipFile;
}
