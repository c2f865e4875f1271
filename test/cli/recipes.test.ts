/**
 * The curl recipes of docs/integration-guide.md (blocks marked `<!-- recipe: … -->`) run as written —
 * bash, curl, jq and `npx chipid token|request` — against the real service (the Worker in workerd on
 * DynamoDB Local), from a directory whose `.chipid/local.json` names it as `npm start` would. The
 * test Worker's SERVICE_URL differs from the loopback URL it listens on (a proxy, in effect): the
 * file's `serviceUrl` carries the audience.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { useSandboxService } from '../../examples/shared/sandbox-service.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const guide = readFileSync(join(ROOT, 'docs/integration-guide.md'), 'utf8');

/** The shell block after `<!-- recipe: name -->`. */
function recipe(name: string): string {
  const m = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(guide);
  if (!m?.[1]) throw new Error(`docs/integration-guide.md has no recipe '${name}'`);
  return m[1];
}

const svc = useSandboxService();
mkdirSync(join(ROOT, 'test/.tmp'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test/.tmp/recipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bash(script: string, env: Record<string, string> = {}) {
  return run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: dir,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe('docs/integration-guide.md curl recipes', () => {
  it('configures the recipes as npm start would (.chipid/local.json)', async () => {
    const { config } = await svc.newClient(['given_name', 'age_over_18']);
    mkdirSync(join(dir, '.chipid'));
    writeFileSync(
      join(dir, '.chipid/local.json'),
      JSON.stringify({
        url: svc.url,
        serviceUrl: svc.worker.serviceUrl,
        clientId: config.clientId,
        privateJwk: config.privateKey,
      }),
    );
  });

  it('json: challenge, sandbox card answering it, signed body, verification, look-up', async () => {
    const { stdout } = await bash(recipe('json'));
    expect(stdout.trim().split('\n')).toEqual(['verified', 'verified']);
    const outcome = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8'));
    // The HTTP answer is { id, result, reasons, assertion }; the claims are in the signed assertion.
    const payload = decodeJwt(outcome.assertion) as { txn: string; verified_claims: { claims: object } };
    expect(payload.txn).toBe(outcome.id);
    expect(payload.verified_claims.claims).toHaveProperty('age_over_18', true);
    expect(payload.verified_claims.claims).toHaveProperty('given_name');
  });

  it('multipart: the files as raw parts with a request signed for them', async () => {
    await bash('npx chipid sandbox card --profile valid --seed 8 --out dump.json 2>/dev/null');
    const { stdout } = await bash(recipe('multipart'), { CHIPID_URL: svc.url });
    const outcome = JSON.parse(stdout);
    // No challenge was asked for: the chip is genuine and in good standing, the clone check did not run.
    expect(outcome).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_performed'] });
  });

  it('a token signed for the URL connected to (not the service URL) is told the audience to use', async () => {
    const r = await bash(
      `curl -sS -X POST "${svc.url}/v1/challenges" -H "authorization: Bearer $(npx chipid token POST /v1/challenges --url ${svc.url})"`,
    );
    const problem = JSON.parse(r.stdout);
    expect(problem).toMatchObject({ status: 401, code: 'ERR_UNAUTHORIZED' });
    expect(problem.detail).toContain(`"${svc.worker.serviceUrl}"`);
    expect(problem.detail).toMatch(/proxy, tunnel, Docker/);
  });
});
