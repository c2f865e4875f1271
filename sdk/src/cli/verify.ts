/**
 * `chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--at <ISO date>]`
 * Passive authentication (and Active Authentication when the dump carries an answer).
 * Prints `{ valid, checks: [{ name, ok, code? }] }`; exit 0 valid, 1 invalid, 2 unusable input.
 */
import { createTrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import { parseCommandArgs, printJSON, readDumpFile, readPemOrDer } from './io.ts';

const USAGE = `usage: chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--at <ISO date>]

Passive authentication of a chip dump (SOD signature, Document Signer chain to one of the given CSCA
certificates, CRLs, DG hashes, issuing country) and Active Authentication when the dump carries an
answer. Prints { valid, checks: [{ name, ok, code? }], … } as JSON.
For a sandbox card: chipid sandbox csca > sandbox-csca.pem, then --csca sandbox-csca.pem.
Exit 0 valid, 1 invalid, 2 unusable input.
`;

/** Each anchor file's bytes, with its path named when it is not a certificate (or CRL). */
function anchors(paths: string[], kind: 'csca' | 'crl'): (Uint8Array | string)[] {
  return paths.map((path) => {
    const v = readPemOrDer(path);
    try {
      createTrustStore(kind === 'csca' ? { cscas: [v] } : { cscas: [], crls: [v] });
    } catch (e) {
      if (!isChipIdError(e)) throw e;
      throw new ChipIdError(e.code, `--${kind} ${path}: ${e.message}`, { cause: e });
    }
    return v;
  });
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
  const trust = createTrustStore({
    cscas: anchors(values.csca, 'csca'),
    crls: anchors(values.crl ?? [], 'crl'),
  });
  const { dump } = readDumpFile(positionals[0]!);
  const report = await verifyChip(dump, { trust, ...(at ? { at } : {}) });
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
