/**
 * `chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--require-crl] [--at <ISO date>]`
 * Passive authentication (and Active Authentication when the dump carries an answer and passive
 * authentication passed: `activeAuth: "skipped"` otherwise). Prints `{ valid, checks: [{ name, ok,
 * code?, detail?, skipped? }], activeAuth, … }`; exit 0 valid, 1 invalid, 2 unusable input.
 */
import { parseCRL } from '../crypto/crl.ts';
import { createTrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { readCertificates } from '../crypto/x509.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import { parseCommandArgs, printJSON, readDumpFile, readPemOrDer } from './io.ts';

const USAGE = `usage: chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--require-crl] [--at <ISO date>]

Passive authentication of a chip dump (SOD signature, Document Signer chain to one of the given CSCA
certificates, CRLs, DG hashes, issuing country) and Active Authentication when the dump carries an
answer and passive authentication passed (else activeAuth "skipped": the DG15 key is not
authenticated). Keys over the size limits (RSA: 8192 bits DS/CSCA, 4096 DG15) and curves given by
unknown explicit parameters are refused unread: algorithm_unsupported.
Prints { valid, checks: [{ name, ok, code?, detail?, skipped? }], activeAuth, … } as JSON.
  --require-crl   a CSCA without a current CRL (--crl; thisUpdate ≤ --at ≤ nextUpdate) fails
                  ds.revocation with crl_unavailable, as the service checks live cards
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.csca?.length) {
    process.stderr.write(USAGE);
    return 2;
  }
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new ChipIdError('ERR_CONFIG', '--at is not an ISO 8601 date');
  }
  // Each file parsed once, here, so a bad one is named; the store takes the parsed certificates.
  const trust = createTrustStore({
    cscas: values.csca.flatMap((p) => anchor('--csca', p, readCertificates)),
    crls: (values.crl ?? []).map((p) => anchor('--crl', p, parseCRL)),
  });
  const { dump } = readDumpFile(positionals[0]!);
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
      ...(c.skipped ? { skipped: true } : {}),
    })),
    activeAuth: report.activeAuth,
    ...(report.signatureAlgorithm ? { signatureAlgorithm: report.signatureAlgorithm } : {}),
    ...(report.documentSigner ? { documentSigner: report.documentSigner.subject.text } : {}),
    ...(report.csca ? { csca: report.csca.subject.text } : {}),
  });
  return report.valid ? 0 : 1;
}
