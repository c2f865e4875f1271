/**
 * `chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--at <ISO date>]`
 * Passive authentication (and Active Authentication when the dump carries an answer).
 * Prints `{ valid, checks: [{ name, ok, code? }] }`; exit 0 valid, 1 invalid, 2 unusable input.
 */
import { parseArgs } from 'node:util';
import { createTrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { ChipIdError } from '../errors.ts';
import { printJSON, readDumpFile, readPemOrDer } from './io.ts';

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      csca: { type: 'string', multiple: true },
      crl: { type: 'string', multiple: true },
      at: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || !values.csca?.length) {
    process.stderr.write(
      'usage: chipid verify <dump.json> --csca <pem|der> [--csca …] [--crl <file>] [--at <ISO date>]\n',
    );
    return 2;
  }
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new ChipIdError('ERR_CONFIG', '--at is not an ISO 8601 date');
  }
  const trust = createTrustStore({
    cscas: values.csca.map(readPemOrDer),
    crls: (values.crl ?? []).map(readPemOrDer),
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
