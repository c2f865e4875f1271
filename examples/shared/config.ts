/**
 * Example configuration: where the chipid service is and which sandbox client to act as.
 *
 * Read from environment variables when set (`CHIPID_URL`, `CHIPID_CLIENT_ID`, `CHIPID_PRIVATE_JWK` as
 * JSON), else from `.chipid/local.json`, which `npm start` writes (`{ "url", "clientId", "privateJwk" }`).
 * In production the private key comes from your secret store, never from a file in the repo.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientOptions } from '@chipid/sdk';

/** What every example needs to build a client. */
export interface ExampleConfig {
  baseUrl: string;
  clientId: string;
  privateKey: ClientOptions['privateKey'];
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Loads the example configuration (env vars first, then `.chipid/local.json`).
 *
 * @throws Error naming what is missing (never printing the key).
 * @example
 * const client = createClient(loadConfig());
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  if (env.CHIPID_URL || env.CHIPID_CLIENT_ID || env.CHIPID_PRIVATE_JWK) {
    const missing = ['CHIPID_URL', 'CHIPID_CLIENT_ID', 'CHIPID_PRIVATE_JWK'].filter((k) => !env[k]);
    if (missing.length) throw new Error(`config: set ${missing.join(', ')} as well`);
    let privateKey: ExampleConfig['privateKey'];
    try {
      privateKey = JSON.parse(env.CHIPID_PRIVATE_JWK as string);
    } catch {
      throw new Error('config: CHIPID_PRIVATE_JWK is not JSON (a private JWK with kid)');
    }
    return { baseUrl: env.CHIPID_URL as string, clientId: env.CHIPID_CLIENT_ID as string, privateKey };
  }
  const candidates = [
    env.CHIPID_CONFIG,
    resolve('.chipid', 'local.json'),
    join(repoRoot, '.chipid', 'local.json'),
  ].filter((p): p is string => !!p);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      'config: no .chipid/local.json — run `npm start` in another terminal first (or set CHIPID_URL, CHIPID_CLIENT_ID, CHIPID_PRIVATE_JWK)',
    );
  }
  const j = JSON.parse(readFileSync(path, 'utf8')) as {
    url?: string;
    clientId?: string;
    privateJwk?: unknown;
  };
  if (
    typeof j.url !== 'string' ||
    typeof j.clientId !== 'string' ||
    typeof j.privateJwk !== 'object' ||
    !j.privateJwk
  )
    throw new Error(`config: ${path} must hold { url, clientId, privateJwk }`);
  return { baseUrl: j.url, clientId: j.clientId, privateKey: j.privateJwk as ExampleConfig['privateKey'] };
}
