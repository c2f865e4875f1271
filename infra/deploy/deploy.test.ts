/**
 * `npm run deploy`: the offline dry run really bundles the Worker with wrangler (bounded time); a real
 * deployment refuses without credentials/secrets before running anything, and runs the documented
 * steps in order with secret values on stdin only (commands recorded, nothing sent anywhere).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDeployArgs, REQUIRED_SECRETS, type Runner, readSecrets, runDeploy } from './deploy.ts';

const dir = mkdtempSync(join(tmpdir(), 'chipid-deploy-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(code = 0) {
  const calls: { cmd: string; args: string[]; input?: string }[] = [];
  const run: Runner = (cmd, args, o = {}) => {
    calls.push({ cmd, args, ...(o.input !== undefined ? { input: o.input } : {}) });
    return { code, stdout: 'ok', stderr: '' };
  };
  return { calls, run };
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: (l: string) => out.push(l), error: (l: string) => err.push(l) };
}

async function secretsFile(): Promise<string> {
  const p = join(dir, `secrets-${Math.random().toString(36).slice(2)}.json`);
  const io = collect();
  expect(await runDeploy(['--init-secrets', p], { ...io, env: {} })).toBe(0);
  expect(statSync(p).mode & 0o777).toBe(0o600);
  // Placeholders for the Worker's AWS credentials must be filled in.
  expect('problems' in readSecrets(p)).toBe(true);
  const s = JSON.parse(readFileSync(p, 'utf8'));
  s.AWS_ACCESS_KEY_ID = 'AKIAWORKERKEY0000000';
  s.AWS_SECRET_ACCESS_KEY = 'worker-secret-value-0000000000000000000';
  writeFileSync(p, JSON.stringify(s));
  return p;
}

describe('deploy --dry-run', () => {
  it('validates the template and bundles the Worker with wrangler, offline and without credentials', async () => {
    const io = collect();
    const started = Date.now();
    const code = await runDeploy(['--dry-run'], {
      ...io,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(io.out.join('\n')).toMatch(/template: .*cloudformation\.json valid/);
    expect(io.out.join('\n')).toMatch(/wrangler deploy --dry-run bundled \d+ KiB/);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('fails when wrangler cannot bundle', async () => {
    const io = collect();
    const { run } = recorder(1);
    expect(await runDeploy(['--dry-run'], { ...io, run, env: {} })).toBe(1);
    expect(io.err.join('\n')).toMatch(/wrangler deploy --dry-run failed/);
  });
});

describe('deploy (real path)', () => {
  it('refuses without credentials, service URL or secrets and runs nothing', async () => {
    const io = collect();
    const { calls, run } = recorder();
    expect(await runDeploy([], { ...io, run, env: {} })).toBe(2);
    expect(calls).toEqual([]);
    const err = io.err.join('\n');
    expect(err).toMatch(/missing AWS credentials/);
    expect(err).toMatch(/missing CLOUDFLARE_API_TOKEN/);
    expect(err).toMatch(/missing --service-url/);
    expect(err).toMatch(/missing --secrets/);
    expect(err).toMatch(/refusing to deploy/);
  });

  it('refuses with credentials but an incomplete secrets file, naming secrets and never their values', async () => {
    const p = join(dir, 'partial.json');
    writeFileSync(p, JSON.stringify({ ADMIN_TOKEN: 'short-secret-value', PAIRWISE_SECRET: '<fill me>' }));
    const io = collect();
    const { calls, run } = recorder();
    const env = { AWS_PROFILE: 'chipid', CLOUDFLARE_API_TOKEN: 't' };
    expect(
      await runDeploy(['--service-url', 'https://api.example.com', '--secrets', p], { ...io, run, env }),
    ).toBe(2);
    expect(calls).toEqual([]);
    const err = io.err.join('\n');
    expect(err).toMatch(/ADMIN_TOKEN: too short/);
    expect(err).toMatch(/PAIRWISE_SECRET: missing or still a placeholder/);
    expect(err).toMatch(/SERVICE_SIGNING_KEYS: needs/);
    expect(err).not.toContain('short-secret-value');
  });

  it('refuses a non-https service URL', async () => {
    const io = collect();
    const env = { AWS_PROFILE: 'chipid', CLOUDFLARE_API_TOKEN: 't' };
    const p = await secretsFile();
    const { calls, run } = recorder();
    expect(
      await runDeploy(['--service-url', 'http://api.example.com', '--secrets', p], { ...io, run, env }),
    ).toBe(2);
    expect(calls).toEqual([]);
  });

  it('creates the stack, puts each secret via stdin, then deploys with the production vars', async () => {
    const p = await secretsFile();
    const io = collect();
    const { calls, run } = recorder();
    const env = { AWS_ACCESS_KEY_ID: 'AKIADEPLOYER', AWS_SECRET_ACCESS_KEY: 'x', CLOUDFLARE_API_TOKEN: 't' };
    const code = await runDeploy(
      ['--service-url', 'https://api.example.com/', '--secrets', p, '--region', 'eu-west-1'],
      { ...io, run, env },
    );
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    const steps = calls.map((c) =>
      [c.cmd === 'aws' ? 'aws' : 'node', ...c.args.filter((a) => !a.startsWith('/'))].join(' '),
    );
    expect(steps[0]).toBe('aws --version');
    expect(steps[1]).toMatch(
      /^aws cloudformation deploy --template-file --stack-name chipid-tables --region eu-west-1/,
    );
    expect(calls[1]?.args[calls[1].args.indexOf('--template-file') + 1]).toMatch(
      /infra\/deploy\/cloudformation\.json$/,
    );
    expect(steps.slice(2, 2 + REQUIRED_SECRETS.length)).toEqual(
      REQUIRED_SECRETS.map((n) => `node secret put ${n}`),
    );
    const secrets = JSON.parse(readFileSync(p, 'utf8'));
    for (const [i, n] of REQUIRED_SECRETS.entries()) {
      const c = calls[2 + i]!;
      const want = typeof secrets[n] === 'string' ? secrets[n] : JSON.stringify(secrets[n]);
      expect(c.input).toBe(want);
      expect(c.args.join(' ')).not.toContain(want);
    }
    // The console is off in a deployment unless asked for (issue 19 item 3).
    expect(steps.at(-1)).toBe(
      'node deploy --var SERVICE_URL:https://api.example.com --var TABLE_PREFIX:chipid- --var DYNAMODB_REGION:eu-west-1 --var CONSOLE_ENABLED:false',
    );
    expect(io.out.join('\n')).not.toContain(secrets.ADMIN_TOKEN);
  });

  it('--console turns the console on in a deployment (off by default)', async () => {
    const p = await secretsFile();
    const io = collect();
    const { calls, run } = recorder();
    const env = { AWS_PROFILE: 'chipid', CLOUDFLARE_API_TOKEN: 't' };
    expect(
      await runDeploy(['--service-url', 'https://api.example.com', '--secrets', p, '--console'], {
        ...io,
        run,
        env,
      }),
    ).toBe(0);
    expect(calls.at(-1)?.args).toContain('CONSOLE_ENABLED:true');
  });

  it('each environment its own signing keys: a secrets file whose sandbox keys are live ones is refused', async () => {
    const p = await secretsFile();
    const s = JSON.parse(readFileSync(p, 'utf8'));
    expect(s.SANDBOX_SIGNING_KEYS.current.kid).not.toBe(s.SERVICE_SIGNING_KEYS.current.kid);
    expect('values' in readSecrets(p)).toBe(true);
    s.SANDBOX_SIGNING_KEYS = { current: s.SERVICE_SIGNING_KEYS.next };
    writeFileSync(p, JSON.stringify(s));
    const r = readSecrets(p);
    expect('problems' in r && r.problems).toEqual([
      'SANDBOX_SIGNING_KEYS: shares a key or kid with SERVICE_SIGNING_KEYS',
    ]);
    // Same key under another kid: still the same key.
    s.SANDBOX_SIGNING_KEYS = { current: { ...s.SERVICE_SIGNING_KEYS.current, kid: 'sandbox-1' } };
    writeFileSync(p, JSON.stringify(s));
    expect('problems' in readSecrets(p)).toBe(true);
  });

  it('uses the AWS SDK path when asked (or when the aws CLI is missing)', async () => {
    const p = await secretsFile();
    const io = collect();
    const { calls, run } = recorder();
    const created: string[] = [];
    const env = { AWS_PROFILE: 'chipid', CLOUDFLARE_API_TOKEN: 't' };
    const code = await runDeploy(
      ['--service-url', 'https://api.example.com', '--secrets', p, '--tables', 'sdk'],
      {
        ...io,
        run,
        env,
        createTablesWithSdk: async (region, prefix) => {
          created.push(`${region}/${prefix}`);
        },
      },
    );
    expect(code).toBe(0);
    expect(created).toEqual(['ap-southeast-1/chipid-']);
    expect(calls.some((c) => c.args.includes('cloudformation'))).toBe(false);
  });

  it('stops at the first failing step', async () => {
    const p = await secretsFile();
    const io = collect();
    const calls: string[] = [];
    const run: Runner = (cmd, args) => {
      calls.push(`${cmd} ${args.slice(1, 3).join(' ')}`);
      const failing = args.includes('cloudformation');
      return { code: failing ? 255 : 0, stdout: '', stderr: failing ? 'AccessDenied' : '' };
    };
    const env = { AWS_PROFILE: 'chipid', CLOUDFLARE_API_TOKEN: 't' };
    expect(
      await runDeploy(['--service-url', 'https://api.example.com', '--secrets', p], { ...io, run, env }),
    ).toBe(1);
    expect(io.err.join('\n')).toMatch(/CloudFormation deploy failed[\s\S]*AccessDenied/);
    expect(calls.some((c) => c.includes('secret'))).toBe(false);
  });
});

describe('parseDeployArgs', () => {
  it('parses flags and rejects bad values', () => {
    expect(parseDeployArgs(['--dry-run', '--prefix=staging-'])).toMatchObject({
      dryRun: true,
      prefix: 'staging-',
    });
    expect(() => parseDeployArgs(['--region', 'mars'])).toThrow(/region/);
    expect(() => parseDeployArgs(['--bogus'])).toThrow(/unknown argument/);
    expect(() => parseDeployArgs(['--tables', 'terraform'])).toThrow(/--tables/);
  });
});

describe('wrangler.toml, as wrangler reads it', () => {
  it('limits CPU per request (issue 19) to 10 s, a value wrangler accepts (≤ 300 000 ms)', async () => {
    const { unstable_readConfig } = await import('wrangler');
    const config = unstable_readConfig({ config: join(import.meta.dirname, '../../wrangler.toml') });
    expect(config.limits).toEqual({ cpu_ms: 10_000 });
  });

  it("keeps Workers Logs for our log line but not the platform's invocation log (it records URLs: admin paths carry id numbers)", async () => {
    const { unstable_readConfig } = await import('wrangler');
    const config = unstable_readConfig({ config: join(import.meta.dirname, '../../wrangler.toml') });
    expect(config.observability).toMatchObject({
      enabled: true,
      logs: { enabled: true, invocation_logs: false },
    });
  });

  it('leaves the anonymous console off unless a run turns it on (npm start, --console)', async () => {
    const { unstable_readConfig } = await import('wrangler');
    const config = unstable_readConfig({ config: join(import.meta.dirname, '../../wrangler.toml') });
    expect(config.vars.CONSOLE_ENABLED).toBe('false');
  });
});
