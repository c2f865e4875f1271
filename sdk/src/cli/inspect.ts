/**
 * `chipid inspect <dump.json>` — the parsed chip contents as JSON (no verification).
 * Exit 0 when every file parses, 1 when some file is malformed (its section holds `error`), 2 when
 * the dump itself is unusable.
 */
import { describeDump } from '../icao/describe.ts';
import { parseCommandArgs, printJSON, readDumpFile } from './io.ts';

const USAGE = `usage: chipid inspect <dump.json> [--images]

Prints the parsed chip contents (EF.COM, DG1 MRZ, DG2 face metadata, DG13, DG14, DG15, SOD) as JSON,
without verifying anything (see chipid verify). --images includes the face image(s) as base64.
Exit 0 every file parses, 1 some file is malformed (its section holds "error"), 2 unusable input.
`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs('inspect', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { images: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const { dump } = readDumpFile(positionals[0]!);
  const out = describeDump(dump, { images: values.images });
  printJSON(out);
  return Object.values(out).some((v) => 'error' in v) ? 1 : 0;
}
