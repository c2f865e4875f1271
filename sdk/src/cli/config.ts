/**
 * The relying party's credentials for the commands that call the service (`submit`, `token`,
 * `request`): `.chipid/local.json` in the current directory or the nearest one above it (written by
 * `npm start`: `{ url, clientId, privateJwk }`), overridden by `--url`, `--client-id`, `--key`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ChipIdError } from '../errors.ts';
import { readFailure } from './io.ts';

export interface LocalConfig {
  url?: string;
  /** The service's own URL (`aud`) when `url` reaches it through a proxy, tunnel or Docker port. */
  serviceUrl?: string;
  clientId?: string;
  privateJwk?: Record<string, unknown>;
}

export const configError = (msg: string, cause?: unknown): ChipIdError =>
  new ChipIdError('ERR_CONFIG', msg, cause === undefined ? undefined : { cause });

function readJSONFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw configError(`cannot read ${what} ${path}: ${readFailure(cause)}`, cause);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw configError(`${what} ${path} is not JSON`, cause);
  }
}

/** `.chipid/local.json` in `cwd` or the nearest directory above it that has one. */
function findLocalConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; ) {
    const path = join(dir, '.chipid', 'local.json');
    if (existsSync(path)) return path;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function loadLocalConfig(cwd: string): LocalConfig & { path?: string } {
  const path = findLocalConfig(cwd);
  if (!path) return {};
  const j = readJSONFile(path, 'config');
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw configError(`${path} must be a JSON object`);
  const o = j as Record<string, unknown>;
  const out: LocalConfig & { path?: string } = { path };
  if (typeof o.url === 'string') out.url = o.url;
  if (typeof o.serviceUrl === 'string') out.serviceUrl = o.serviceUrl;
  if (typeof o.clientId === 'string') out.clientId = o.clientId;
  if (o.privateJwk && typeof o.privateJwk === 'object')
    out.privateJwk = o.privateJwk as Record<string, unknown>;
  return out;
}

/** A key file holds a private JWK, `{ privateJwk }` (a local.json), or a JWKS whose first private key is used. */
export function readKeyFile(path: string): Record<string, unknown> {
  const j = readJSONFile(path, 'key file') as Record<string, unknown> | null;
  if (!j || typeof j !== 'object') throw configError(`key file ${path} must hold a JWK`);
  if (j.privateJwk && typeof j.privateJwk === 'object') return j.privateJwk as Record<string, unknown>;
  if (Array.isArray(j.keys)) {
    const k = (j.keys as unknown[]).find((x) => x && typeof x === 'object' && 'd' in x);
    if (!k) throw configError(`key file ${path} holds no private key`);
    return k as Record<string, unknown>;
  }
  return j;
}

/** The credentials in force: flags over `.chipid/local.json`; each missing piece named. */
export function resolveCredentials(
  values: {
    url?: string | undefined;
    'service-url'?: string | undefined;
    'client-id'?: string | undefined;
    key?: string | undefined;
  },
  cwd: string,
): { url: string; serviceUrl: string; clientId: string; privateJwk: Record<string, unknown>; from: string } {
  const local = loadLocalConfig(cwd);
  const url = values.url ?? local.url;
  const clientId = values['client-id'] ?? local.clientId;
  const privateJwk = values.key !== undefined ? readKeyFile(resolve(cwd, values.key)) : local.privateJwk;
  if (!url)
    throw configError(
      `no service URL: no .chipid/local.json in ${resolve(cwd)} or above (\`npm start\` writes it) and no --url`,
    );
  if (!clientId) throw configError('no client id: pass --client-id or use .chipid/local.json');
  if (!privateJwk) throw configError('no private key: pass --key <jwk file> or use .chipid/local.json');
  // A --url given on the command line is not the file's proxy: only the file's own url pairs with its serviceUrl.
  const serviceUrl =
    values['service-url'] ?? (values.url === undefined ? local.serviceUrl : undefined) ?? url;
  return {
    url,
    serviceUrl: serviceUrl.replace(/\/+$/, ''),
    clientId,
    privateJwk,
    from: values.url !== undefined ? '--url' : (local.path ?? '--url'),
  };
}
