/**
 * `chipid dump --sod sod.bin --dg1 dg1.bin [--dg2 …] [--dg13 …] [--dg14 …] [--dg15 …] [--com …] --out <dump.json|->`
 * assembles a `chipid.dump/1` from raw elementary files — what JMRTD, a desk reader's software or
 * another app writes (each file the bytes as read from the chip, outer LDS tag first; Doc 9303 Part 10).
 * Exit 0 written, 2 unusable input.
 */
import { writeFileSync } from 'node:fs';
import { ChipIdError } from '../errors.ts';
import { dumpFromFiles, parseCommandArgs, RAW_FILE_OPTIONS, type RawFileName } from './io.ts';

const USAGE = `usage: chipid dump --sod <sod.bin> --dg1 <dg1.bin> [--dg2 <f>] [--dg13 <f>] [--dg14 <f>] [--dg15 <f>] [--com <f>] --out <dump.json | ->

Assembles a chipid.dump/1 (JSON, each file as standard base64) from raw elementary files as read
from the chip (outer LDS tag first: EF.SOD 0x77, DG1 0x61, DG2 0x75, DG13 0x6D, DG14 0x6E, DG15 0x6F,
EF.COM 0x60) — e.g. what JMRTD or a desk reader writes. Each file must be the one its flag names.
Then: chipid inspect / verify / submit the dump.
Exit 0 written, 2 unusable input.
`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs('dump', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { ...RAW_FILE_OPTIONS, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (values.out === undefined) throw new ChipIdError('ERR_CONFIG', '--out <dump.json | -> is missing');
  const files: Partial<Record<RawFileName, string>> = {};
  for (const k of Object.keys(RAW_FILE_OPTIONS) as RawFileName[]) {
    const v = values[k];
    if (typeof v === 'string') files[k] = v;
  }
  const json = dumpFromFiles(files);
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (values.out === '-') process.stdout.write(text);
  else {
    writeFileSync(values.out, text);
    process.stderr.write(`wrote ${values.out} (${Object.keys(json).length - 1} files)\n`);
  }
  return 0;
}
