/**
 * `chipid readers` — the PC/SC readers (PC/SC Part 5 SCardListReaders / SCardGetStatusChange) and
 * whether each holds a card. Exit 0 (also with no reader: an empty list), 2 when the PC/SC binding or
 * the PC/SC service (pcscd) is missing — the message says what to install.
 */
import { parseCommandArgs, printJSON } from './io.ts';
import { listPcscReaders } from './pcsc.ts';

const USAGE = `usage: chipid readers [--json]

Lists the PC/SC readers and whether a card is in each (with its ATR). The name, or a unique part of it,
goes to chipid read --reader <name>; without a name chipid read uses the first reader holding a card.
Needs pcscd (Debian/Ubuntu: apt-get install pcscd, plus your reader's driver, e.g. libccid) and the
optional smartcard package. Exit 0 listed, 2 PC/SC unavailable.
`;

/** Runs `chipid readers`. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('readers', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const readers = await listPcscReaders();
  if (values.json) {
    printJSON(readers);
    return 0;
  }
  if (readers.length === 0) {
    process.stdout.write(
      'no PC/SC reader found (plug one in; its driver, e.g. libccid, must be installed)\n',
    );
    return 0;
  }
  for (const r of readers) {
    process.stdout.write(
      `${r.name}\t${r.cardPresent ? `card present${r.atr ? ` (ATR ${r.atr})` : ''}` : 'no card'}\n`,
    );
  }
  return 0;
}
