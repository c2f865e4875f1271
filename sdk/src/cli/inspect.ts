/**
 * `chipid inspect <dump.json>` — the parsed chip contents as JSON (no verification).
 * Exit 0 when every file parses, 1 when some file is malformed (its section holds `error`), 2 when
 * the dump itself is unusable.
 */
import { parseArgs } from 'node:util';
import { describeDump } from '../icao/describe.ts';
import { printJSON, readDumpFile } from './io.ts';

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { images: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: chipid inspect <dump.json> [--images]\n');
    return 2;
  }
  const { dump } = readDumpFile(positionals[0]!);
  const out = describeDump(dump, { images: values.images });
  printJSON(out);
  return Object.values(out).some((v) => 'error' in v) ? 1 : 0;
}
