/**
 * `chipid inspect <dump.json | raw EF …>` — the parsed chip contents as JSON (no verification). Raw
 * elementary files (`sod.bin`, `dg1.bin` as JMRTD or a desk reader writes them) are recognised by
 * their outer LDS tag.
 * Exit 0 when every file parses, 1 when some file is malformed (its section holds `error`), 2 when
 * the dump itself is unusable.
 */
import { describeDump, describeFile } from '../icao/describe.ts';
import { parseCommandArgs, printJSON, readChipInput } from './io.ts';

const USAGE = `usage: chipid inspect <dump.json> [--images]
       chipid inspect <sod.bin> [<dg1.bin> …] [--images]

Prints the parsed chip contents (EF.COM, DG1 MRZ, DG2 face metadata, DG13, DG14, DG15, SOD) as JSON,
without verifying anything (see chipid verify). --images includes the face image(s) as base64.
Raw elementary files as read from the chip (what JMRTD or a desk reader writes) are recognised by
their outer tag (0x77 SOD, 0x61 DG1, 0x75 DG2, 0x6D DG13, 0x6E DG14, 0x6F DG15, 0x60 EF.COM);
chipid dump --sod … --dg1 … assembles them into a dump.
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
  if (positionals.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const inputs = positionals.map((p) => ({ path: p, input: readChipInput(p) }));
  let out: Record<string, ReturnType<typeof describeFile>>;
  if (inputs.length === 1 && inputs[0]!.input.kind === 'dump') {
    out = describeDump(inputs[0]!.input.dump, { images: values.images });
  } else {
    out = {};
    for (const { path, input } of inputs) {
      if (input.kind === 'dump') {
        process.stderr.write(`chipid inspect: ${path} is a dump: inspect it on its own\n`);
        return 2;
      }
      if (input.name in out) {
        process.stderr.write(`chipid inspect: two ${input.name.toUpperCase()} files given\n`);
        return 2;
      }
      out[input.name] = describeFile(input.name, input.bytes, { images: values.images });
    }
  }
  printJSON(out);
  return Object.values(out).some((v) => 'error' in v) ? 1 : 0;
}
