/**
 * `chipid` command line. Each command lives in its own module and is loaded on demand.
 * Exit codes: 0 success / valid, 1 checked and invalid, 2 unusable input or usage error.
 */
import { isChipIdError } from '../errors.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  inspect: {
    summary: 'inspect <dump.json>                      print the parsed DG1/DG13/SOD as JSON',
    load: async () => (await import('./inspect.ts')).run,
  },
  verify: {
    summary: 'verify <dump.json> --csca <file> […]     passive (+ active) authentication report',
    load: async () => (await import('./verify.ts')).run,
  },
  sandbox: {
    summary: 'sandbox csca | profiles | card …         sandbox PKI and test chips',
    load: async () => (await import('./sandbox.ts')).run,
  },
  submit: {
    summary: 'submit <dump.json> [--challenge]         send a dump to the chipid service',
    load: async () => (await import('./submit.ts')).run,
  },
};

function usage(): string {
  return [
    'usage: chipid <command> [options]',
    '',
    ...Object.values(COMMANDS).map((c) => `  chipid ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`chipid: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load())(rest);
  } catch (e) {
    const msg = isChipIdError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    process.stderr.write(`chipid ${name}: ${msg.split('\n')[0]}\n`);
    return 2;
  }
}
