/**
 * `npm run deploy` — ship chipid: the DynamoDB tables on AWS from the same definitions as the local
 * stack (`infra/deploy/cloudformation.json`, emitted from `infra/src/tables.ts`), the Worker's secrets
 * with `wrangler secret put`, then the Worker with `wrangler deploy` (Cloudflare Workers).
 *
 *   npm run deploy -- --dry-run                      # offline: validate the template, bundle with wrangler
 *   npm run deploy -- --init-secrets deploy-secrets.json
 *   npm run deploy -- --service-url https://api.example.com --secrets deploy-secrets.json
 *
 * A real deployment refuses to start without AWS and Cloudflare credentials in the environment, without
 * a complete secrets file, or with a template that is stale or invalid; nothing is half-done because of
 * a missing input. See docs/deployment.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTables, DEFAULT_TABLE_PREFIX } from '../src/tables.ts';
import {
  checkCommittedTemplate,
  contractErrors,
  renderTemplate,
  TEMPLATE_PATH,
  validateTemplate,
} from './cloudformation.ts';

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Secrets the Worker needs in production (SERVICE-CONTRACT.md "Worker configuration"). */
export const REQUIRED_SECRETS = [
  'ADMIN_TOKEN',
  'PAIRWISE_SECRET',
  'REGISTRY_HMAC_KEY',
  'SERVICE_SIGNING_KEYS',
  'SANDBOX_SIGNING_KEYS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
] as const;
export type SecretName = (typeof REQUIRED_SECRETS)[number];

/** Options parsed from the command line. */
export interface DeployOptions {
  dryRun: boolean;
  serviceUrl?: string;
  secretsPath?: string;
  initSecrets?: string;
  region: string;
  prefix: string;
  stackName: string;
  /** How the tables are created: `cloudformation` (AWS CLI, default when present) or `sdk` (AWS SDK). */
  tables: 'cloudformation' | 'sdk' | 'auto';
  /** Serve the sandbox console (`/console`) in this deployment; off unless asked (`--console`). */
  console: boolean;
  help: boolean;
}

/** Result of one external command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (injected by tests). `input` goes to stdin (secret values never go on argv). */
export type Runner = (
  cmd: string,
  args: string[],
  o?: { input?: string; env?: NodeJS.ProcessEnv },
) => RunResult;

/** What {@link runDeploy} needs from the outside world. */
export interface DeployIO {
  env: NodeJS.ProcessEnv;
  run: Runner;
  log: (line: string) => void;
  error: (line: string) => void;
  /** Creates the tables with the AWS SDK (the `sdk` path); injected by tests. */
  createTablesWithSdk?: (region: string, prefix: string) => Promise<void>;
}

export const USAGE = `usage: npm run deploy -- [options]
  --dry-run               validate the CloudFormation template and bundle the Worker (wrangler deploy
                          --dry-run); needs no credentials, changes nothing
  --service-url <url>     public URL of the service (SERVICE_URL: assertion issuer, request audience)
  --secrets <file>        JSON file with ${REQUIRED_SECRETS.join(', ')}
  --init-secrets <file>   write a new secrets file (fresh random secrets and service keys; fill in the
                          Worker's AWS credentials) and exit
  --region <region>       AWS region of the tables (default ap-southeast-1)
  --prefix <prefix>       table name prefix (default ${DEFAULT_TABLE_PREFIX})
  --stack-name <name>     CloudFormation stack (default chipid-tables)
  --tables <how>          cloudformation | sdk | auto (default auto: CloudFormation when the aws CLI is present)
  --console               serve the anonymous sandbox console (/console) in this deployment (default: off,
                          CONSOLE_ENABLED=false)
Environment: AWS credentials (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity)
and CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID) for a real deployment.`;

/**
 * Parses the command line.
 *
 * @example
 * parseDeployArgs(['--dry-run']).dryRun; // true
 */
export function parseDeployArgs(argv: readonly string[]): DeployOptions {
  const o: DeployOptions = {
    dryRun: false,
    region: 'ap-southeast-1',
    prefix: DEFAULT_TABLE_PREFIX,
    stackName: 'chipid-tables',
    tables: 'auto',
    console: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag}: value required`);
      return v;
    };
    switch (flag) {
      case '--dry-run':
        o.dryRun = true;
        break;
      case '--console':
        o.console = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '--service-url':
        o.serviceUrl = value();
        break;
      case '--secrets':
        o.secretsPath = value();
        break;
      case '--init-secrets':
        o.initSecrets = value();
        break;
      case '--region':
        o.region = value();
        break;
      case '--prefix':
        o.prefix = value();
        break;
      case '--stack-name':
        o.stackName = value();
        break;
      case '--tables': {
        const v = value();
        if (v !== 'cloudformation' && v !== 'sdk' && v !== 'auto')
          throw new Error('--tables: cloudformation, sdk or auto');
        o.tables = v;
        break;
      }
      default:
        throw new Error(`unknown argument: ${a}`);
    }
  }
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(o.region)) throw new Error('--region: not an AWS region name');
  if (!/^[A-Za-z0-9_.-]{0,200}$/.test(o.prefix)) throw new Error('--prefix: characters [A-Za-z0-9_.-] only');
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(o.stackName)) throw new Error('--stack-name: not a stack name');
  return o;
}

/**
 * Which deployment credentials are missing from the environment (empty when all are there). Only
 * presence is checked: the tools themselves authenticate.
 *
 * @example
 * missingCredentials(process.env); // ['CLOUDFLARE_API_TOKEN']
 */
export function missingCredentials(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  const aws =
    (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
    env.AWS_PROFILE ||
    (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN);
  if (!aws) missing.push('AWS credentials (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)');
  if (!env.CLOUDFLARE_API_TOKEN) missing.push('CLOUDFLARE_API_TOKEN');
  return missing;
}

/**
 * Reads and checks a secrets file; returns the values to upload (`SERVICE_SIGNING_KEYS` as JSON text)
 * or the problems. Problems name the secret, never its value.
 *
 * @example
 * const r = readSecrets('deploy-secrets.json'); if ('problems' in r) console.error(r.problems);
 */
export function readSecrets(path: string): { values: Record<SecretName, string> } | { problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return { problems: [`${path}: not readable JSON`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problems: [`${path}: expected an object`] };
  const obj = raw as Record<string, unknown>;
  const problems: string[] = [];
  const values = {} as Record<SecretName, string>;
  const keySets: Partial<Record<SecretName, Record<string, unknown>[]>> = {};
  for (const name of REQUIRED_SECRETS) {
    const v = obj[name];
    if (name === 'SERVICE_SIGNING_KEYS' || name === 'SANDBOX_SIGNING_KEYS') {
      const keys = typeof v === 'string' ? safeJson(v) : v;
      const set = keys as Record<string, Record<string, unknown> | undefined> | undefined;
      const cur = set?.current;
      if (
        cur?.kty !== 'EC' ||
        cur.crv !== 'P-256' ||
        typeof cur.d !== 'string' ||
        typeof cur.kid !== 'string'
      )
        problems.push(
          `${name}: needs { "current": <private EC P-256 JWK with kid> } (next/previous optional)`,
        );
      else {
        values[name] = JSON.stringify(keys);
        keySets[name] = [set?.current, set?.next, set?.previous].filter(
          (k): k is Record<string, unknown> => typeof k === 'object' && k !== null,
        );
      }
      continue;
    }
    if (typeof v !== 'string' || v.length === 0 || /^<.*>$/.test(v)) {
      problems.push(`${name}: missing or still a placeholder`);
      continue;
    }
    if (
      (name === 'ADMIN_TOKEN' || name === 'PAIRWISE_SECRET' || name === 'REGISTRY_HMAC_KEY') &&
      v.length < 32
    )
      problems.push(`${name}: too short (at least 32 characters of randomness)`);
    values[name] = v;
  }
  // Each environment its own keys: a sandbox key (the console hands out sandbox assertions to anyone)
  // must never be one live RPs trust.
  const live = keySets.SERVICE_SIGNING_KEYS ?? [];
  const shared = (keySets.SANDBOX_SIGNING_KEYS ?? []).some((k) =>
    live.some((l) => l.kid === k.kid || (l.x === k.x && l.y === k.y)),
  );
  if (shared) problems.push('SANDBOX_SIGNING_KEYS: shares a key or kid with SERVICE_SIGNING_KEYS');
  for (const k of Object.keys(obj))
    if (!(REQUIRED_SECRETS as readonly string[]).includes(k)) problems.push(`${k}: unknown secret name`);
  return problems.length > 0 ? { problems } : { values };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Default runner: synchronous child process, output captured. */
export const defaultRunner: Runner = (cmd, args, o = {}) => {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    input: o.input ?? '',
    env: o.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status ?? (r.error ? 127 : 1),
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? (r.error ? String(r.error.message) : ''),
  };
};

function wranglerBin(): string {
  return join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
}

function wranglerVars(o: DeployOptions, serviceUrl: string): string[] {
  return [
    '--var',
    `SERVICE_URL:${serviceUrl}`,
    '--var',
    `TABLE_PREFIX:${o.prefix}`,
    '--var',
    `DYNAMODB_REGION:${o.region}`,
    // The anonymous console is a local/sandbox tool: off in a deployment unless asked for.
    '--var',
    `CONSOLE_ENABLED:${o.console ? 'true' : 'false'}`,
  ];
}

/** Template problems (stale committed file, structure, contract) for the chosen prefix. */
function templateProblems(prefix: string): { problems: string[]; text: string } {
  if (prefix === DEFAULT_TABLE_PREFIX) {
    const { problems } = checkCommittedTemplate();
    return { problems, text: readFileSyncSafe(TEMPLATE_PATH) };
  }
  const text = renderTemplate(prefix);
  const t = JSON.parse(text);
  return { problems: [...validateTemplate(t), ...contractErrors(t, prefix)], text };
}

function readFileSyncSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function validServiceUrl(u: string | undefined, dryRun: boolean): string | undefined {
  if (u === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return undefined;
  }
  if (url.search || url.hash || url.username) return undefined;
  // A live service must be HTTPS: assertions name it as issuer and RPs fetch its JWKS.
  if (!dryRun && url.protocol !== 'https:') return undefined;
  return url.href.replace(/\/+$/, '');
}

async function sdkCreateTables(region: string, prefix: string): Promise<void> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  // The deployer's own credentials from the environment / profile (default provider chain).
  await createTables(new DynamoDBClient({ region }), { prefix, timeoutMs: 120_000 });
}

/**
 * Runs the deployment (or its dry run). Returns the exit code: 0 done, 1 a step failed, 2 refused
 * (missing credentials, secrets or template problems; nothing was changed).
 *
 * @example
 * process.exitCode = await runDeploy(process.argv.slice(2));
 */
export async function runDeploy(argv: readonly string[], io: Partial<DeployIO> = {}): Promise<number> {
  const env = io.env ?? process.env;
  const run = io.run ?? defaultRunner;
  const log = io.log ?? ((l: string) => console.log(l));
  const error = io.error ?? ((l: string) => console.error(l));
  let o: DeployOptions;
  try {
    o = parseDeployArgs(argv);
  } catch (e) {
    error(`deploy: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    log(USAGE);
    return 0;
  }

  if (o.initSecrets !== undefined) {
    if (existsSync(o.initSecrets)) {
      error(`deploy: ${o.initSecrets} exists; refusing to overwrite secrets`);
      return 2;
    }
    const { generateSecrets } = await import('../src/local-stack.ts');
    const s = await generateSecrets();
    const file = {
      ...s,
      AWS_ACCESS_KEY_ID: '<access key of the Worker IAM user (DynamoDB on the chipid tables only)>',
      AWS_SECRET_ACCESS_KEY: '<its secret key>',
    };
    writeFileSync(o.initSecrets, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    log(
      `wrote ${o.initSecrets} (mode 600): fill in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; never commit it`,
    );
    return 0;
  }

  // 1. The template (always): committed, up to date, structurally valid, matching the contract.
  const tpl = templateProblems(o.prefix);
  if (tpl.problems.length > 0) {
    for (const p of tpl.problems) error(`template: ${p}`);
    return 2;
  }
  log(`template: ${TEMPLATE_PATH.slice(ROOT.length + 1)} valid (${o.prefix}sandbox, ${o.prefix}live)`);

  const serviceUrl = validServiceUrl(o.serviceUrl, o.dryRun);
  if (o.serviceUrl !== undefined && serviceUrl === undefined) {
    error('deploy: --service-url must be an https URL without query, fragment or credentials');
    return 2;
  }
  let secrets: Record<SecretName, string> | undefined;
  if (o.secretsPath !== undefined) {
    const r = readSecrets(o.secretsPath);
    if ('problems' in r) {
      for (const p of r.problems) error(`secrets: ${p}`);
      return 2;
    }
    secrets = r.values;
    log(`secrets: ${REQUIRED_SECRETS.length} present in ${o.secretsPath}`);
  }

  if (o.dryRun) {
    const outdir = mkdtempSync(join(tmpdir(), 'chipid-deploy-'));
    try {
      const args = [
        wranglerBin(),
        'deploy',
        '--dry-run',
        '--outdir',
        outdir,
        ...wranglerVars(o, serviceUrl ?? 'https://chipid.invalid'),
      ];
      const r = run(process.execPath, args, { env: { ...env, WRANGLER_SEND_METRICS: 'false' } });
      const bundle = join(outdir, 'index.js');
      if (r.code !== 0 || !existsSync(bundle)) {
        error(`wrangler deploy --dry-run failed (exit ${r.code})\n${tail(r.stderr || r.stdout)}`);
        return 1;
      }
      log(`worker: wrangler deploy --dry-run bundled ${Math.round(statSync(bundle).size / 1024)} KiB`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    log('dry run: a real deployment would now');
    log(
      `  1. create/update the CloudFormation stack ${o.stackName} in ${o.region} (tables ${o.prefix}sandbox, ${o.prefix}live)`,
    );
    log(`  2. wrangler secret put ${REQUIRED_SECRETS.join(', ')}`);
    log(
      `  3. wrangler deploy --var SERVICE_URL:${serviceUrl ?? '<--service-url>'} --var TABLE_PREFIX:${o.prefix} --var DYNAMODB_REGION:${o.region} --var CONSOLE_ENABLED:${o.console}`,
    );
    return 0;
  }

  // A real deployment: refuse before touching anything when an input is missing.
  const problems: string[] = missingCredentials(env).map((m) => `missing ${m}`);
  if (serviceUrl === undefined) problems.push('missing --service-url <https://…>');
  if (secrets === undefined)
    problems.push('missing --secrets <file> (create one with --init-secrets <file>)');
  if (problems.length > 0 || secrets === undefined || serviceUrl === undefined) {
    for (const p of problems) error(`deploy: ${p}`);
    error('deploy: refusing to deploy; nothing was changed (try --dry-run)');
    return 2;
  }

  // 2. Tables.
  const haveAwsCli = run('aws', ['--version'], { env }).code === 0;
  const how = o.tables === 'auto' ? (haveAwsCli ? 'cloudformation' : 'sdk') : o.tables;
  if (how === 'cloudformation') {
    let templateFile = TEMPLATE_PATH;
    let tmp: string | undefined;
    if (o.prefix !== DEFAULT_TABLE_PREFIX) {
      tmp = mkdtempSync(join(tmpdir(), 'chipid-cfn-'));
      templateFile = join(tmp, 'cloudformation.json');
      writeFileSync(templateFile, tpl.text);
    }
    log(`tables: aws cloudformation deploy --stack-name ${o.stackName} --region ${o.region}`);
    const r = run(
      'aws',
      [
        'cloudformation',
        'deploy',
        '--template-file',
        templateFile,
        '--stack-name',
        o.stackName,
        '--region',
        o.region,
        '--no-fail-on-empty-changeset',
        '--tags',
        'app=chipid',
      ],
      { env },
    );
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (r.code !== 0) {
      error(`tables: CloudFormation deploy failed (exit ${r.code})\n${tail(r.stderr || r.stdout)}`);
      return 1;
    }
  } else {
    log(`tables: creating ${o.prefix}sandbox, ${o.prefix}live with the AWS SDK in ${o.region}`);
    try {
      await (io.createTablesWithSdk ?? sdkCreateTables)(o.region, o.prefix);
    } catch (e) {
      error(`tables: ${(e as Error).name}: ${(e as Error).message}`);
      return 1;
    }
    log(
      'tables: note: point-in-time recovery, deletion protection and Retain policies come with the CloudFormation path',
    );
  }

  // 3. Secrets: values on stdin, never on the command line or in logs.
  for (const name of REQUIRED_SECRETS) {
    const r = run(process.execPath, [wranglerBin(), 'secret', 'put', name], {
      input: secrets[name],
      env: { ...env, WRANGLER_SEND_METRICS: 'false' },
    });
    if (r.code !== 0) {
      error(`secrets: wrangler secret put ${name} failed (exit ${r.code})\n${tail(r.stderr)}`);
      return 1;
    }
    log(`secrets: ${name} set`);
  }

  // 4. The Worker.
  const r = run(process.execPath, [wranglerBin(), 'deploy', ...wranglerVars(o, serviceUrl)], {
    env: { ...env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (r.code !== 0) {
    error(`worker: wrangler deploy failed (exit ${r.code})\n${tail(r.stderr || r.stdout)}`);
    return 1;
  }
  log(tail(r.stdout));
  log(
    `deployed: ${serviceUrl} (check ${serviceUrl}/healthz, ${serviceUrl}/.well-known/jwks.json and ${serviceUrl}/sandbox/.well-known/jwks.json)`,
  );
  return 0;
}

function tail(s: string, lines = 20): string {
  return s.split('\n').slice(-lines).join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDeploy(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
