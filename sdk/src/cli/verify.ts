/**
 * `chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--require-crl] [--at <ISO date>]`
 * (or `--masterlist <list.ml> --masterlist-root <pem|der>`: the CSCAs of a verified master list)
 * Passive authentication (and Active Authentication when the dump carries an answer).
 * Prints `{ valid, checks: [{ name, ok, code? }] }`; exit 0 valid, 1 invalid, 2 unusable input.
 */
import { parseCRL } from '../crypto/crl.ts';
import { createTrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { type Certificate, readCertificates } from '../crypto/x509.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import { parseDump } from '../icao/dump.ts';
import {
  dumpFromFiles,
  parseCommandArgs,
  printJSON,
  RAW_FILE_OPTIONS,
  type RawFileName,
  readChipInput,
  readPemOrDer,
} from './io.ts';
import { checkMasterListFile, failures, readRoots } from './masterlist.ts';

const USAGE = `usage: chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--require-crl] [--at <ISO date>]
       chipid verify <dump.json> --masterlist <list.ml> --masterlist-root <pem|der> [--csca …] [options as above]
       chipid verify --sod <sod.bin> --dg1 <dg1.bin> [--dg2 …] [--dg13 …] [--dg14 …] [--dg15 …] --csca <pem|der> …

Passive authentication of a chip dump (SOD signature, Document Signer chain to one of the given CSCA
certificates, CRLs, DG hashes, issuing country) and Active Authentication when the dump carries an
answer. Prints { valid, checks: [{ name, ok, code? }], … } as JSON.
  --require-crl   a CSCA without a current CRL (--crl; thisUpdate ≤ --at ≤ nextUpdate) fails
                  ds.revocation with crl_unavailable, as the service checks live cards
  --masterlist    trust the CSCAs of an ICAO CSCA master list, once it verifies (now) against a
                  --masterlist-root (the publishing state's CSCA); a list that does not is exit 2
Raw elementary files as read from the chip (what JMRTD or a desk reader writes) go in with --sod,
--dg1, … instead of a dump (chipid dump assembles them into one).
For a sandbox card: chipid sandbox csca > sandbox-csca.pem, then --csca sandbox-csca.pem.
Exit 0 valid, 1 invalid, 2 unusable input.
`;

/** `parse(path's contents)`, its error naming the flag and the file. */
function anchor<T>(flag: '--csca' | '--crl', path: string, parse: (v: Uint8Array | string) => T): T {
  const v = readPemOrDer(path);
  try {
    return parse(v);
  } catch (e) {
    if (!isChipIdError(e)) throw e;
    throw new ChipIdError(e.code, `${flag} ${path}: ${e.message}`, { cause: e });
  }
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs('verify', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      csca: { type: 'string', multiple: true },
      crl: { type: 'string', multiple: true },
      at: { type: 'string' },
      'require-crl': { type: 'boolean' },
      masterlist: { type: 'string', multiple: true },
      'masterlist-root': { type: 'string', multiple: true },
      ...RAW_FILE_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const files: Partial<Record<RawFileName, string>> = {};
  for (const k of Object.keys(RAW_FILE_OPTIONS) as RawFileName[]) {
    const v = values[k];
    if (typeof v === 'string') files[k] = v;
  }
  const fromFiles = Object.keys(files).length > 0;
  if (positionals.length !== (fromFiles ? 0 : 1)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const lists = values.masterlist ?? [];
  if (!values.csca?.length && !lists.length)
    throw new ChipIdError(
      'ERR_CONFIG',
      '--csca <pem|der> is missing: the CSCA certificate(s) to trust (for a sandbox card: chipid sandbox csca > sandbox-csca.pem; or --masterlist with --masterlist-root)',
    );
  if (lists.length && !values['masterlist-root']?.length)
    throw new ChipIdError(
      'ERR_CONFIG',
      '--masterlist needs --masterlist-root (the CSCA that issued its signer)',
    );
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new ChipIdError('ERR_CONFIG', '--at is not an ISO 8601 date');
  }
  // Each file parsed once, here, so a bad one is named; the store takes the parsed certificates.
  const fromLists: Certificate[] = [];
  if (lists.length) {
    const roots = readRoots('--masterlist-root', values['masterlist-root'] ?? []);
    for (const path of lists) {
      const report = await checkMasterListFile(path, roots);
      if (!report.valid)
        throw new ChipIdError(
          'ERR_CONFIG',
          `--masterlist ${path} does not verify against --masterlist-root: ${failures(report).join('; ')}`,
        );
      fromLists.push(...report.cscas);
    }
  }
  const trust = createTrustStore({
    cscas: [...(values.csca ?? []).flatMap((p) => anchor('--csca', p, readCertificates)), ...fromLists],
    crls: (values.crl ?? []).map((p) => anchor('--crl', p, parseCRL)),
  });
  const dump = fromFiles ? parseDump(dumpFromFiles(files)) : chipDump(positionals[0]!);
  const report = await verifyChip(dump, {
    trust,
    ...(at ? { at } : {}),
    ...(values['require-crl'] ? { revocation: 'required' as const } : {}),
  });
  printJSON({
    valid: report.valid,
    checks: report.checks.map((c) => ({
      name: c.name,
      ok: c.ok,
      ...(c.code ? { code: c.code } : {}),
      ...(c.detail ? { detail: c.detail } : {}),
    })),
    activeAuth: report.activeAuth,
    ...(report.signatureAlgorithm ? { signatureAlgorithm: report.signatureAlgorithm } : {}),
    ...(report.documentSigner ? { documentSigner: report.documentSigner.subject.text } : {}),
    ...(report.csca ? { csca: report.csca.subject.text } : {}),
  });
  return report.valid ? 0 : 1;
}

/** The dump in `path`; a raw file there is named with the flag it belongs to. */
function chipDump(path: string) {
  const input = readChipInput(path);
  if (input.kind === 'dump') return input.dump;
  throw new ChipIdError(
    'ERR_CONFIG',
    `${path} is a raw ${input.name.toUpperCase()} file: give the raw files as --sod <file> --dg1 <file> … (at least those two)`,
  );
}
