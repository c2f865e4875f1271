/**
 * `chipid masterlist <list.ml> --root <pem|der> [--country VN,DE] --out <cscas.pem | ->` — verifies an
 * ICAO CSCA master list (Doc 9303 Part 12 §9) against the publishing state's CSCA and writes its CSCA
 * certificates as PEM; a summary goes to stderr. Exit 0 verified and written, 1 the list does not
 * verify (nothing written), 2 unusable input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Certificate, derToPem, readCertificates } from '../crypto/x509.ts';
import { ChipIdError, isChipIdError } from '../errors.ts';
import { type MasterListReport, verifyMasterList } from '../icao/master-list.ts';
import { parseCommandArgs, readFailure, readPemOrDer } from './io.ts';

const USAGE = `usage: chipid masterlist <list.ml> --root <pem|der> [--root …] [--country VN,DE] [--at <ISO date>] --out <cscas.pem | ->

Verifies an ICAO CSCA master list (CMS SignedData, content type 2.23.136.1.1.2): the signature over the
signed attributes, the Master List Signer issued by one of the --root certificates (the publishing
state's CSCA, e.g. Germany's csca-germany for the BSI list), validity (now, or --at) and key usage.
Then writes the list's CSCA certificates (all, or those of the --country ISO 3166 alpha-2 codes) as PEM
to --out (- for stdout). A summary (signer, issue date, count per country) goes to stderr.
Exit 0 verified and written, 1 the list does not verify (nothing written), 2 unusable input.
`;

/** DER `OBJECT IDENTIFIER 2.23.136.1.1.2` (id-icao-cscaMasterList). */
const ML_OID_DER = Uint8Array.of(0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x02);

/** Whether `bytes` claim to be a CSCA master list (its content type OID near the start). */
function claimsMasterList(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 128);
  outer: for (let i = 0; i + ML_OID_DER.length <= head.length; i++) {
    for (let j = 0; j < ML_OID_DER.length; j++) if (head[i + j] !== ML_OID_DER[j]) continue outer;
    return true;
  }
  return false;
}

/** The master-list file's bytes (DER, or PEM `CMS`/`PKCS7` text). */
export function readMasterListFile(path: string): Uint8Array | string {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ChipIdError('ERR_CONFIG', `cannot read ${path}: ${readFailure(cause)}`, { cause });
  }
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  return head.includes('-----BEGIN') ? new TextDecoder().decode(bytes) : bytes;
}

/** Root certificates from files, a bad one named by its flag and path. */
export function readRoots(flag: string, paths: readonly string[]): Certificate[] {
  return paths.flatMap((p) => {
    const v = readPemOrDer(p);
    try {
      return readCertificates(v);
    } catch (e) {
      if (!isChipIdError(e)) throw e;
      throw new ChipIdError(e.code, `${flag} ${p}: ${e.message}`, { cause: e });
    }
  });
}

/**
 * Verifies the list; an unusable file (not a master list at all) throws ChipIdError (exit 2), a list
 * that claims to be one but fails a check (damaged, forged, other root) is a report with `valid: false`.
 */
export async function checkMasterListFile(
  path: string,
  roots: Certificate[],
  at?: Date,
): Promise<MasterListReport> {
  const input = readMasterListFile(path);
  const report = await verifyMasterList(input, { roots, ...(at ? { at } : {}) });
  const parse = report.checks.find((c) => c.name === 'ml.parse');
  if (parse && !parse.ok && typeof input !== 'string' && !claimsMasterList(input))
    throw new ChipIdError('ERR_MASTERLIST_INVALID', `${path}: not a CSCA master list (${parse.detail})`);
  return report;
}

/** `code: detail` of each failed check, for stderr. */
export function failures(report: MasterListReport): string[] {
  return report.checks
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.code}${c.detail ? ` (${c.detail})` : ''}`);
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs('masterlist', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      root: { type: 'string', multiple: true },
      country: { type: 'string', multiple: true },
      out: { type: 'string' },
      at: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.root?.length || values.out === undefined || values.out === '') {
    process.stderr.write(USAGE);
    return 2;
  }
  const countries = (values.country ?? []).flatMap((c) => c.split(',')).map((c) => c.trim().toUpperCase());
  const badCountry = countries.find((c) => !/^[A-Z]{2}$/.test(c));
  if (badCountry !== undefined)
    throw new ChipIdError(
      'ERR_CONFIG',
      `--country: '${badCountry}' is not an ISO 3166 alpha-2 code (e.g. VN)`,
    );
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new ChipIdError('ERR_CONFIG', '--at is not an ISO 8601 date');
  }
  const roots = readRoots('--root', values.root);
  const path = positionals[0]!;
  const report = await checkMasterListFile(path, roots, at);
  if (!report.valid) {
    process.stderr.write(
      `chipid masterlist: ${path} does not verify against the root — nothing written\n${failures(report)
        .map((f) => `  ${f}\n`)
        .join('')}`,
    );
    return 1;
  }
  const wanted = new Set(countries);
  const chosen = wanted.size ? report.cscas.filter((c) => wanted.has(c.subject.country ?? '')) : report.cscas;
  const pem = chosen.map((c) => derToPem(c.raw)).join('');
  if (values.out === '-') process.stdout.write(pem);
  else {
    try {
      writeFileSync(values.out, pem);
    } catch (cause) {
      throw new ChipIdError('ERR_CONFIG', `cannot write ${values.out}: ${readFailure(cause)}`, { cause });
    }
  }
  process.stderr.write(summary(report, chosen, [...wanted]));
  return 0;
}

function summary(report: MasterListReport, chosen: Certificate[], wanted: string[]): string {
  const ml = report.masterList!;
  const perCountry = new Map<string, number>();
  for (const c of chosen)
    perCountry.set(c.subject.country ?? '??', (perCountry.get(c.subject.country ?? '??') ?? 0) + 1);
  const counts = [...perCountry.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([c, n]) => `${c} ${n}`);
  const missing = wanted.filter((c) => !perCountry.has(c));
  return [
    `verified: signed by ${report.signer?.subject.text} (${report.signatureAlgorithm}), issued by ${report.root?.subject.text}`,
    `issue date: ${ml.signingTime ? ml.signingTime.toISOString() : 'not given (no signing-time attribute)'}`,
    `CSCA certificates: ${ml.cscas.length} in the list${ml.unreadable.length ? ` (+${ml.unreadable.length} unreadable, skipped)` : ''}, ${chosen.length} written`,
    `per country: ${counts.join(', ') || 'none'}`,
    ...(missing.length ? [`warning: no CSCA of ${missing.join(', ')} in the list`] : []),
    '',
  ].join('\n');
}
