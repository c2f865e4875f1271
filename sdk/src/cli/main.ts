/**
 * `chipid` command line. Each command lives in its own module and is loaded on demand.
 * Exit codes: 0 success / valid, 1 checked and invalid, 2 unusable input or usage error.
 */
import { isChipIdError } from '../errors.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { usage: [string, string][]; load: () => Promise<Command> }> = {
  inspect: {
    usage: [['inspect <dump.json> [--images]', 'the parsed chip contents as JSON']],
    load: async () => (await import('./inspect.ts')).run,
  },
  verify: {
    usage: [['verify <dump.json> --csca <file> [--crl …]', 'passive (+ active) authentication report']],
    load: async () => (await import('./verify.ts')).run,
  },
  masterlist: {
    usage: [['masterlist <list.ml> --root <file> --out <f|->', 'verify a CSCA master list, write its CSCAs']],
    load: async () => (await import('./masterlist.ts')).run,
  },
  sandbox: {
    usage: [
      ['sandbox profiles', 'the test chips and the outcome each gives'],
      ['sandbox card --profile <name> --out <file>', 'a signed sandbox chip dump (+ its virtual chip)'],
      ['sandbox csca', 'the sandbox CSCA certificate (PEM)'],
      ['sandbox registry', 'the sandbox registry seed (JSONL)'],
    ],
    load: async () => (await import('./sandbox.ts')).run,
  },
  dump: {
    usage: [['dump --sod <f> --dg1 <f> [--dg2 <f> …] --out <file>', 'a chip dump from raw elementary files']],
    load: async () => (await import('./dump.ts')).run,
  },
  token: {
    usage: [['token <METHOD> <path>', 'an auth token for one RP call (curl, Postman)']],
    load: async () => (await import('./token.ts')).runToken,
  },
  request: {
    usage: [
      ['request <dump.json> [--scope a,b] [--body]', 'the signed verification request (curl, Postman)'],
    ],
    load: async () => (await import('./token.ts')).runRequest,
  },
  submit: {
    usage: [
      ['submit <dump.json> [--challenge] [--scope a,b]', 'send a dump to the chipid service'],
      ['submit --profile <name> --seed <n> --challenge', 'the same for a sandbox card, its chip answering'],
      [
        'submit --read (--can|--mrz|--cccd …) (--virtual <p>|--reader)',
        'read the chip answering a challenge, submit',
      ],
    ],
    load: async () => (await import('./submit.ts')).run,
  },
  read: {
    usage: [
      [
        'read (--can|--mrz|--cccd …) (--virtual <p>|--reader) --out <f>',
        'read a chip (PACE/BAC, CA, AA) to a dump',
      ],
    ],
    load: async () => (await import('./read.ts')).run,
  },
  readers: {
    usage: [['readers [--json]', 'the PC/SC readers and whether each holds a card']],
    load: async () => (await import('./readers.ts')).run,
  },
};

/** The package's version (its package.json, beside src/ and dist/ alike). */
async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return `${pkg.name} ${pkg.version}`;
}

function usage(): string {
  return [
    'usage: chipid <command> [options]',
    '',
    ...Object.values(COMMANDS).flatMap((c) =>
      c.usage.map(([syntax, what]) => `  chipid ${syntax.padEnd(46)} ${what}`),
    ),
    '',
    "'chipid <command> --help' tells more; 'chipid --version' the version; exit 0 success, 1 checked and invalid, 2 usage or input error.",
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${await version()}\n`);
    return 0;
  }
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
