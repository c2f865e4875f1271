/**
 * `chipid token` and `chipid request` — the signed JWS an RP call needs, printed for curl, Postman or
 * another language's HTTP client (the SDK client makes them itself):
 * - `token <METHOD> <path | URL>`: an auth token (`typ chipid-auth+jwt`, bound to the method and path
 *   by `htm`/`htu`, RFC 9449 §4.2) for `Authorization: Bearer …` — challenges, verification look-ups;
 * - `request <dump.json>`: the verification request (`typ chipid-request+jwt`, `chip_digest` over the
 *   dump as it will be sent), or with `--body` the whole JSON body `{ request, chip }`.
 * Exit 0 printed, 2 unusable input or configuration.
 */
import { resolve } from 'node:path';
import type { JWK } from 'jose';
import { ChipIdError } from '../errors.ts';
import { signAuthToken, signVerificationRequest } from '../request/sign.ts';
import { configError, resolveCredentials } from './config.ts';
import { parseCommandArgs, readDumpFile } from './io.ts';

const CREDENTIALS = `credentials: .chipid/local.json (written by \`npm start\`) in this directory or above, or
  --url <U>            service base URL
  --service-url <U>    the service's own URL (the token audience) when --url is a proxy, tunnel or
                       Docker address (default: --url)
  --client-id <C>      relying-party client id (sandbox_… or live_…)
  --key <file>         private JWK (with kid) of that client, as a JSON file`;

const TOKEN_USAGE = `usage: chipid token <METHOD> <path | URL> [options]

Prints an auth token (compact JWS, typ chipid-auth+jwt, valid 60 s) for one RP call, to send as
"Authorization: Bearer <token>". It is bound to the method and the path (htm / htu): sign one per call.
  TOKEN=$(npx chipid token POST /v1/challenges)
  curl -sS -X POST "$CHIPID_URL/v1/challenges" -H "authorization: Bearer $TOKEN"

${CREDENTIALS}
  --ttl <seconds>      lifetime (default 60, at most 300)
Exit 0 printed, 2 unusable input or configuration.
`;

const REQUEST_USAGE = `usage: chipid request <dump.json> [--scope a,b] [--purpose <text>] [--challenge-id <id>] [--multipart | --body] [options]

Prints the signed verification request (compact JWS, typ chipid-request+jwt) for POST /v1/verifications:
its chip_digest covers the dump as it will be sent — the JSON body (default), or the multipart form's
parts with --multipart. --body prints the whole JSON body { request, chip } instead, for curl -d @file
or Postman. POST /v1/verifications needs no Authorization header: the request is the credential.
  npx chipid request card.json --scope given_name --body > body.json
  curl -sS "$CHIPID_URL/v1/verifications" -H 'content-type: application/json' -d @body.json

${CREDENTIALS}
  --scope <a,b,…>      claim names to ask for (default: none)
  --purpose <text>     purpose recorded in the audit log (default: "chipid request")
  --challenge-id <id>  the id of the challenge the chip answered (the dump's aa)
  --ttl <seconds>      lifetime (default 120, at most 300)
Exit 0 printed, 2 unusable input or configuration.
`;

const CREDENTIAL_OPTIONS = {
  url: { type: 'string' },
  'service-url': { type: 'string' },
  'client-id': { type: 'string' },
  key: { type: 'string' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function ttlOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 300)
    throw configError('--ttl must be a number of seconds from 1 to 300');
  return Number(v);
}

/** `chipid token <METHOD> <path | URL>` */
export async function runToken(argv: string[], cwd: string = process.cwd()): Promise<number> {
  const { values, positionals } = parseCommandArgs('token', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: CREDENTIAL_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(TOKEN_USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(TOKEN_USAGE);
    return 2;
  }
  const method = positionals[0]!.toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) throw configError(`'${positionals[0]}' is not an HTTP method`);
  const target = positionals[1]!;
  let path: string;
  if (/^https?:\/\//i.test(target)) path = new URL(target).pathname;
  else if (target.startsWith('/')) path = target.split('?')[0]!;
  else throw configError('the path must start with / (e.g. /v1/challenges) or be a full URL');
  const creds = resolveCredentials(values, cwd);
  const ttl = ttlOf(values.ttl);
  const token = await signAuthToken({
    clientId: creds.clientId,
    privateKey: creds.privateJwk as JWK,
    audience: creds.serviceUrl,
    method,
    path,
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

/** `chipid request <dump.json>` */
export async function runRequest(argv: string[], cwd: string = process.cwd()): Promise<number> {
  const { values, positionals } = parseCommandArgs('request', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CREDENTIAL_OPTIONS,
      scope: { type: 'string' },
      purpose: { type: 'string' },
      'challenge-id': { type: 'string' },
      multipart: { type: 'boolean', default: false },
      body: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(REQUEST_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(REQUEST_USAGE);
    return 2;
  }
  if (values.multipart && values.body)
    throw new ChipIdError(
      'ERR_CONFIG',
      '--body prints the JSON body; --multipart signs for a form: choose one',
    );
  const { json } = readDumpFile(resolve(cwd, positionals[0]!));
  const creds = resolveCredentials(values, cwd);
  const ttl = ttlOf(values.ttl);
  const scope = (values.scope ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const request = await signVerificationRequest({
    clientId: creds.clientId,
    privateKey: creds.privateJwk as JWK,
    audience: creds.serviceUrl,
    chip: json,
    scope,
    purpose: values.purpose ?? 'chipid request',
    ...(values['challenge-id'] !== undefined ? { challengeId: values['challenge-id'] } : {}),
    ...(values.multipart ? { transport: 'multipart' as const } : {}),
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
  });
  process.stdout.write(values.body ? `${JSON.stringify({ request, chip: json })}\n` : `${request}\n`);
  return 0;
}
