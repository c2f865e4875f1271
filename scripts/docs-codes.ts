/**
 * Generates `docs/errors.md` from the code: every SDK error code (`sdk/src/errors.ts` ERROR_CODES),
 * every service problem code (`functions/src/problems.ts` PROBLEMS, RFC 9457) and every assertion
 * reason code (`sdk/src/reasons.ts` REASONS), each with what a relying party should do.
 *
 * The advice lives here, keyed by code; a code without advice (or advice for a code that no longer
 * exists) fails the generator and its test, so a new code cannot ship undocumented.
 *
 *   npx tsx scripts/docs-codes.ts           # write docs/errors.md
 *   npx tsx scripts/docs-codes.ts --check   # exit 1 when docs/errors.md is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROBLEM_TYPE_BASE, PROBLEMS, problemType } from '../functions/src/problems.ts';
import { CLONE_CHECK_REASONS } from '../functions/src/verify/pipeline.ts';
import { ERROR_CODES } from '../sdk/src/errors.ts';
import { MASTER_LIST_CODES, type MasterListCode } from '../sdk/src/icao/master-list.ts';
import { READER_HINTS } from '../sdk/src/reader/errors.ts';
import { REASONS, type ReasonCode } from '../sdk/src/reasons.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ERRORS_DOC = join(ROOT, 'docs', 'errors.md');

/** What the relying party should do, per code (SDK error, service problem or reason code). */
export const ADVICE: Record<string, string> = {
  // ── ASN.1 / LDS: the chip read is malformed (or was corrupted between the chip and you) ──
  ERR_ASN1_TRUNCATED:
    'The data ends early: the NFC read was interrupted. Ask the user to hold the card still and read again.',
  ERR_ASN1_INVALID_TAG:
    'Not the expected ASN.1 structure: read the card again; if it repeats, the file is not an ICAO elementary file (wrong file id?).',
  ERR_ASN1_INVALID_LENGTH: 'A length field is impossible: corrupted read. Read the card again.',
  ERR_ASN1_NOT_DER:
    'The data is BER, not DER where DER is required: do not re-encode chip data in your app; send the bytes exactly as read.',
  ERR_ASN1_TOO_DEEP:
    'Nesting beyond the parser limit: not a genuine chip file. Treat as a failed read; do not retry in a loop.',
  ERR_ASN1_TRAILING_DATA:
    'Bytes after the end of the structure: send each elementary file exactly as read (no padding, no concatenation).',
  ERR_ASN1_UNEXPECTED:
    'A field has the wrong type or value: read the card again; if it repeats, report the card model to support.',
  ERR_LDS_INVALID:
    'An elementary file does not follow Doc 9303: read the card again; if it repeats, the chip is not supported.',
  ERR_LDS_UNEXPECTED_TAG:
    'A data group was put in the wrong field of the dump (e.g. DG2 bytes as `dg1`): fix the mapping in your reading app.',
  ERR_MRZ_INVALID:
    'The MRZ in DG1 is malformed: read the card again; for BAC, make sure the MRZ typed or scanned by the user is complete.',
  ERR_MRZ_CHECK_DIGIT:
    'An MRZ check digit does not match: if the MRZ was typed or OCR-scanned for BAC, ask the user to correct it.',
  ERR_DG2_INVALID:
    'The face data group cannot be parsed: read the card again; the verification can go on without `dg2` if your flow does not need the photo.',
  ERR_DG13_INVALID: 'The CCCD DG13 cannot be parsed: read the card again; send `dg13` exactly as read.',
  ERR_DG14_INVALID: 'DG14 (security infos) cannot be parsed: read the card again.',
  ERR_DG15_INVALID:
    'DG15 (Active Authentication key) cannot be parsed: read the card again; without a valid DG15 no clone check is possible.',
  ERR_DUMP_INVALID:
    'The chip dump JSON does not match `chipid.dump/1` (unknown field, bad base64, missing `sod`/`dg1`): fix how your app builds the dump.',
  ERR_CCCD_ID_INVALID:
    'The 12-digit CCCD id number is not well formed (province, century/sex digit): a corrupted read or a non-CCCD card.',
  // ── CMS / X.509 / crypto ──
  ERR_SOD_INVALID:
    'The SOD is not a CMS SignedData with an LDSSecurityObject: read the card again; if it repeats, the chip is not genuine.',
  ERR_CERT_INVALID:
    'A certificate is malformed: for CSCAs you load yourself, check the file; inside a chip, treat the chip as not genuine.',
  ERR_CRL_INVALID:
    'A CRL is malformed: get a fresh CRL from the issuing state (ICAO PKD or the national CSCA site).',
  ERR_MASTERLIST_INVALID:
    'The file is not a CSCA master list (CMS SignedData with a CscaMasterList, Doc 9303 Part 12 §9): check that you downloaded the `.ml` file itself (DER, or PEM `CMS`), not a web page or a single certificate.',
  ERR_ALG_UNSUPPORTED:
    'An algorithm outside the supported list (RSA PKCS#1 v1.5/PSS, ECDSA P-256/384/521, brainpool, SHA-1/2): report the card model to support.',
  ERR_KEY_INVALID:
    'A key is malformed or unusable (e.g. a public JWK where a private one is needed, a CryptoKey without `kid`): fix your key configuration.',
  ERR_SIGNATURE_INVALID:
    'A signature does not verify: treat the data as not authentic; never retry with the same data.',
  // ── Request / client ──
  ERR_REQUEST_INVALID:
    'Your request breaks a rule (bad options, a chip answer to another challenge, or a malformed HTTP request): fix the call; retrying the same request will not help.',
  ERR_KEY_UNSUPPORTED:
    'Your key is not ES256 (P-256) or EdDSA (Ed25519): generate a supported key and register its public JWK.',
  ERR_HTTP:
    'The service answered an error the SDK has no code for, or an answer it could not read: look at `error.status` and `error.problem.code`; retry only 5xx answers, with the same Idempotency-Key.',
  ERR_ASSERTION_INVALID:
    'The assertion fails verification (signature, `typ`, `iss`, `aud`, expiry or shape): do NOT trust it; run the verification again. Check your clock if it says expired.',
  ERR_NETWORK:
    'The service (or its JWKS) could not be reached or timed out after the retries; the message names the URL and the reason (e.g. ECONNREFUSED). Retry later with the same Idempotency-Key; nothing was verified twice. Locally: is `npm start` running at the URL in `.chipid/local.json`?',
  ERR_SANDBOX:
    'Bad sandbox factory input (e.g. unknown profile): see `chipid sandbox profiles` for the names.',
  ERR_CONFIG:
    'Client options are wrong (base URL, client id prefix, missing key, JWKS): fix your configuration; nothing was sent.',
  // ── Chip reader (readChip, `chipid read`): the hint shown to the user ──
  ...READER_HINTS,
  // ── Service problems (HTTP API) ──
  ERR_REQUEST_REPLAYED:
    'The request token (`jti`) was already used: sign a new request for each attempt; to retry safely resend the same body with the same Idempotency-Key instead.',
  ERR_UNAUTHORIZED:
    'Your request signature, key id, algorithm, `typ`, `aud` or time window was refused: check the client id, the registered public key (`kid`), your clock, and that `aud` is the service URL.',
  ERR_FORBIDDEN:
    'Your client or key is disabled, or your client may not do this (e.g. a sandbox client touching live data): contact the service operator.',
  ERR_NOT_FOUND:
    'No such resource for your client (also answered for another client’s verification): check the id; do not retry.',
  ERR_METHOD_NOT_ALLOWED: 'Wrong HTTP method for this path: see the `Allow` header and docs/api.md.',
  ERR_PAYLOAD_TOO_LARGE:
    'The body is over the limit (2 MiB on RP endpoints): do not send anything but the chip files in the dump; large DG2 faces fit.',
  ERR_MALFORMED_JSON: 'The body is not valid JSON: fix the client; do not retry the same bytes.',
  ERR_UNSUPPORTED_MEDIA_TYPE:
    'Send `Content-Type: application/json` (`application/x-ndjson` for registry imports; `POST /v1/verifications` also takes `multipart/form-data`, the binary body).',
  ERR_VALIDATION:
    'The body does not match the schema: `errors[].pointer` names each field (RFC 6901; a part of a multipart body as `/dg2`); fix them and send a new request.',
  ERR_RATE_LIMITED:
    'Too many requests for your client this minute: wait for `Retry-After` / `RateLimit-Reset` seconds, then retry (the SDK does this itself).',
  ERR_IDEMPOTENCY_CONFLICT:
    'The Idempotency-Key was already used with a different body: use a new key for a new request, the same key only for a retry of the same request.',
  ERR_CONFLICT:
    'A request with the same Idempotency-Key is still being processed (or the resource already exists): wait a moment and retry with the same key.',
  ERR_CHALLENGE_INVALID:
    'Another request consumed the same challenge at the same moment (two verifications racing for one challenge): only one can use it. A challenge that is unknown, expired (120 s), already used or another client’s is not an error: the verification answers 200 `inconclusive` with the reason `challenge_invalid`. Either way, get a new challenge and have the chip answer it.',
  ERR_STORE_UNAVAILABLE:
    'The registry store is temporarily unavailable (503): retry after `Retry-After` seconds with the same Idempotency-Key; nothing was half-written.',
  ERR_INTERNAL:
    'The service failed unexpectedly: retry once with the same Idempotency-Key; if it repeats, contact support with the problem `instance` (request id).',
  // ── Reason codes (values in the answer and assertion, not errors) ──
  sod_invalid:
    'Treat the document as not authentic. Offer a re-read once (a corrupted read looks the same); then refuse or fall back to manual review.',
  sod_signed_attributes_invalid: 'Treat as forged or corrupted: refuse; do not retry with the same dump.',
  sod_signature_invalid: 'Forged or altered security object: refuse and flag the attempt for fraud review.',
  ds_untrusted:
    'The signer is not from a CSCA the service trusts (forged, or a country/CSCA not loaded): refuse; if the card is genuine and foreign, ask the operator to load that CSCA.',
  ds_expired: 'The Document Signer certificate was not valid at signing: refuse, manual review.',
  ds_invalid: 'The Document Signer certificate is unusable: refuse, manual review.',
  ds_revoked: 'The issuing state revoked the Document Signer (key compromise): refuse and flag.',
  crl_unavailable:
    "The live trust store holds no current CRL of the card's CSCA, so a revoked Document Signer could not be told apart (the result is `inconclusive`): the operator loads the CSCA's latest CRL (`POST /admin/v1/trust/live/crls`); retry after that.",
  csca_expired:
    'The country signing CA is outside its validity: refuse; the operator should update trust anchors.',
  country_mismatch:
    'The document claims one issuing state but is signed under another: refuse and flag for fraud review.',
  dg_hash_mismatch:
    'Chip data was altered after issue (e.g. a changed expiry or address): refuse and flag for fraud review.',
  dg_not_in_sod:
    'A data group was added that the chip never signed: refuse; your app must send only files read from the chip.',
  dg_malformed:
    'A data group could not be parsed although its hash matched: read the card again; if it repeats, manual review.',
  algorithm_unsupported:
    'The card uses an algorithm or key the service does not support (this includes keys over the size limits of docs/security.md, refused unread): manual review; report the card model. From the DG15 key alone (Active Authentication), the result is `inconclusive`.',
  aa_failed:
    'Possible clone: valid data, but the chip did not prove it holds the card’s key. Do not grant access on this read; ask for a new read with a fresh challenge, then manual review.',
  aa_key_weak:
    'The card’s Active Authentication key is so short it can be factored (RSA under 1024 bits), so its answer proves nothing: treat as a card without clone protection — accept only for low-risk actions or add another factor.',
  aa_not_supported:
    'The card has no Active Authentication key (no DG15, and its SOD lists none), so cloning cannot be ruled out: accept only for low-risk actions or add another factor.',
  aa_not_performed:
    'No answer to the challenge was checked: have the chip sign the challenge (INTERNAL AUTHENTICATE) and send `aa` in the dump with `challenge_id`, and DG15 whenever the SOD lists it (a read that leaves DG15 out is treated as a chip that did not answer, never as one without Active Authentication).',
  challenge_invalid:
    'The chip answered a challenge that is unknown, expired, already used or another client’s: get a fresh challenge and read again.',
  card_unknown:
    'The registry does not know this card: refuse; the user should contact the issuing authority.',
  card_revoked: 'The card was revoked: refuse.',
  card_lost: 'The card was reported lost or stolen: refuse and treat the attempt as suspicious.',
  card_replaced: 'A newer card replaced this one: ask the user to use their current card.',
  card_expired: 'The card is past its expiry: ask the user to renew it and use the new card.',
  citizen_unknown: 'The registry has no citizen for this card: refuse; manual review.',
  citizen_deceased: 'The registry records the citizen as deceased: refuse and flag for fraud review.',
  citizen_mismatch:
    'The chip’s name, birth date or sex differ from the registry: refuse; the user should contact the issuing authority.',
  // ── Master list check codes (operators importing CSCA master lists) ──
  ml_invalid:
    'Not a master list, or a truncated download: fetch the file again from the publisher; nothing was imported.',
  ml_content_type_invalid:
    'The signed content type is not a CSCA master list (another kind of signed object): use the right file.',
  ml_signed_attributes_invalid:
    'The list content does not match what was signed (altered or corrupted in transit): fetch it again; never import it.',
  ml_signer_missing:
    'The file lacks the Master List Signer certificate: get the complete list from the publisher.',
  ml_signature_invalid:
    'The list was altered or forged: do not import it; fetch it again from the publisher.',
  ml_algorithm_unsupported:
    'The signature uses an algorithm outside the supported list: report the publisher and algorithm to support.',
  ml_signer_untrusted:
    "The signer is not issued by the root you named: check that the root is the publishing state's CSCA (e.g. Germany's csca-germany for the BSI list), and get it from an independent, trusted channel.",
  ml_signer_expired:
    'The Master List Signer certificate is outside its validity at the validation time: get a current list.',
  ml_root_expired:
    "The root is outside its validity at the validation time: get the publishing state's current CSCA.",
  ml_signer_invalid:
    'The signer certificate is not a Master List Signer (key usage digitalSignature, extended key usage 2.23.136.1.1.3) or the root is not a CA: do not import the list.',
};

/** Groups of a code table, taken from the `// Group` comments in its source. */
function groupsFromSource(path: string, codes: readonly string[]): Map<string, string> {
  const text = readFileSync(path, 'utf8');
  const out = new Map<string, string>();
  let group = 'Other';
  for (const line of text.split('\n')) {
    const c = /^\s*\/\/\s*(.+?)\s*$/.exec(line);
    if (c?.[1]) {
      group = c[1].split(/\s+[(—]/)[0] ?? c[1];
      continue;
    }
    const m = /^\s*'?([A-Za-z0-9_]+)'?\s*[:,]/.exec(line);
    if (m?.[1] && codes.includes(m[1]) && !out.has(m[1])) out.set(m[1], group);
  }
  return out;
}

/** Every documented code with where it comes from. */
export function allCodes(): {
  sdk: string[];
  problems: string[];
  reasons: ReasonCode[];
  masterList: MasterListCode[];
} {
  return {
    sdk: [...ERROR_CODES],
    problems: Object.keys(PROBLEMS),
    reasons: Object.keys(REASONS) as ReasonCode[],
    masterList: Object.keys(MASTER_LIST_CODES) as MasterListCode[],
  };
}

/**
 * Codes without advice and advice for codes that no longer exist.
 *
 * @example
 * const { missing, stale } = adviceGaps(); // both empty when docs/errors.md can be generated
 */
export function adviceGaps(): { missing: string[]; stale: string[] } {
  const { sdk, problems, reasons, masterList } = allCodes();
  const codes = new Set<string>([...sdk, ...problems, ...reasons, ...masterList]);
  return {
    missing: [...codes].filter((c) => !ADVICE[c]),
    stale: Object.keys(ADVICE).filter((c) => !codes.has(c)),
  };
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * Renders `docs/errors.md`.
 *
 * @throws Error when a code has no advice or advice names an unknown code.
 * @example
 * writeFileSync('docs/errors.md', renderErrorsDoc());
 */
export function renderErrorsDoc(): string {
  const gaps = adviceGaps();
  if (gaps.missing.length || gaps.stale.length)
    throw new Error(
      `docs-codes: ${gaps.missing.length ? `no advice for ${gaps.missing.join(', ')}` : ''}${gaps.missing.length && gaps.stale.length ? '; ' : ''}${gaps.stale.length ? `advice for unknown codes ${gaps.stale.join(', ')}` : ''} (edit ADVICE in scripts/docs-codes.ts)`,
    );
  const { sdk, problems, reasons, masterList } = allCodes();
  const sdkSet = new Set<string>(sdk);
  const sdkGroups = groupsFromSource(join(ROOT, 'sdk', 'src', 'errors.ts'), sdk);
  const reasonGroups = groupsFromSource(join(ROOT, 'sdk', 'src', 'reasons.ts'), reasons);
  const out: string[] = [];
  out.push(
    '# Error and reason codes',
    '',
    '<!-- Generated by scripts/docs-codes.ts from sdk/src/errors.ts, functions/src/problems.ts and',
    '     sdk/src/reasons.ts. Do not edit by hand: change the code or the advice table, then run',
    '     `npx tsx scripts/docs-codes.ts`. A test fails when this file is stale or a code lacks advice. -->',
    '',
    'chipid reports four kinds of codes. All are stable strings: switch on them, never on messages',
    '(messages name the rule that failed and never contain personal data).',
    '',
    '| kind | where you see it | is it an error? |',
    '|---|---|---|',
    '| [Service problem codes](#service-problem-codes) | HTTP answers of the API: RFC 9457 `application/problem+json` body, field `code` | yes: the request was not processed (or must be retried) |',
    '| [SDK error codes](#sdk-error-codes) | `ChipIdError.code` thrown by `@chipid/sdk` (parsers, `verifyChip`, `createClient`, `verifyAssertion`) | yes |',
    '| [Reason codes](#reason-codes) | `reasons` of a verification answer and of the signed assertion | no: the verification happened; they explain a `rejected` or `inconclusive` result |',
    '| [Master list check codes](#master-list-check-codes) | `checks[].code` of `verifyMasterList`, `chipid masterlist` and the admin master-list import (operators only) | no: the list was checked and refused |',
    '',
    'The SDK client turns a problem answer into a `ClientError` whose `code` is the problem `code` when',
    'the SDK knows it (else `ERR_HTTP`), with `status` and the full `problem` document attached. The',
    'client already retries network errors, 429, 502, 503 and 504 with the same `Idempotency-Key`.',
    '',
    '## Service problem codes',
    '',
    `Problem \`type\` URIs are URNs, \`${PROBLEM_TYPE_BASE}<code-kebab>\`, the same in every deployment (not web`,
    'addresses: match on `code` or `type`, and read what each means here); `instance` is the request id (also in',
    'the `X-Request-Id` header) — quote it to support. Validation problems list `errors[]` with a JSON',
    'pointer per field.',
    '',
    '| code | HTTP | title | SDK `ClientError.code` | what to do |',
    '|---|---|---|---|---|',
  );
  for (const code of problems) {
    const p = PROBLEMS[code as keyof typeof PROBLEMS];
    const asSdk = sdkSet.has(code) ? `\`${code}\`` : '`ERR_HTTP` (see `problem.code`)';
    out.push(
      `| \`${code}\` (\`${problemType(code as keyof typeof PROBLEMS)}\`) | ${p.status} | ${cell(p.title)} | ${asSdk} | ${cell(ADVICE[code] as string)} |`,
    );
  }
  out.push(
    '',
    '## SDK error codes',
    '',
    'Thrown as `ChipIdError` subclasses (`ASN1Error`, `LDSError`, `CryptoError`,',
  );
  out.push('`ClientError`); test with `isChipIdError(e)` and switch on `e.code`.', '');
  out.push('| code | layer | what to do |', '|---|---|---|');
  for (const code of sdk) {
    out.push(`| \`${code}\` | ${cell(sdkGroups.get(code) ?? 'Other')} | ${cell(ADVICE[code] as string)} |`);
  }
  out.push(
    '',
    '## Reason codes',
    '',
    'A verification answers `verified`, `rejected` or `inconclusive` with `reasons`. Any reason of the',
    'passive-authentication or registry checks makes it `rejected`; reasons of the clone check alone',
    '(Active Authentication and its challenge) make it `inconclusive`: the data is genuine but the chip',
    'could not be shown to be the original. Both outcomes come with a signed assertion (proof of a “no”).',
    '',
    '| reason | check | result (alone) | meaning | what to do |',
    '|---|---|---|---|---|',
  );
  for (const r of reasons) {
    const result = CLONE_CHECK_REASONS.has(r) ? 'inconclusive' : 'rejected';
    out.push(
      `| \`${r}\` | ${cell(reasonGroups.get(r) ?? 'Other')} | ${result} | ${cell(REASONS[r])} | ${cell(ADVICE[r] as string)} |`,
    );
  }
  out.push(
    '',
    '## Master list check codes',
    '',
    'Codes of the checks of `verifyMasterList` (`chipid masterlist`, the admin master-list import):',
    'about a CSCA master list an operator imports (Doc 9303 Part 12 §9), never about a document. A list',
    'with any failed check is not imported.',
    '',
    '| code | meaning | what to do |',
    '|---|---|---|',
  );
  for (const m of masterList) {
    out.push(`| \`${m}\` | ${cell(MASTER_LIST_CODES[m])} | ${cell(ADVICE[m] as string)} |`);
  }
  out.push('');
  return out.join('\n');
}

function main(argv: string[]): number {
  const text = renderErrorsDoc();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(ERRORS_DOC, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error('docs/errors.md is stale: run npx tsx scripts/docs-codes.ts');
      return 1;
    }
    console.log('docs/errors.md is up to date');
    return 0;
  }
  writeFileSync(ERRORS_DOC, text);
  console.log('wrote docs/errors.md');
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
