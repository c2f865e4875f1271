#!/usr/bin/env node
// `npm start`: the local chipid stack (DynamoDB Local in memory + tables + wrangler dev + sandbox seed).
// Usage: npm start [-- --port <n>] [-- --workerd]
// The TypeScript sources are loaded through tsx, as sdk/bin/chipid.mjs does.
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Supported Node: ≥ 20.19 (README). The AWS SDK's notice that its releases after January 2027 need
// Node 22 is about versions the lockfile does not install: said once in the README, not on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function usage() {
  return [
    'usage: npm start [-- --port <port>] [-- --workerd]',
    '  --port <port>  port for the Worker on 127.0.0.1 (default 8787 if free, else any free port)',
    '  --workerd      serve the Worker with workerd alone (bundled once, no reload on save, no dev proxy:',
    '                 what the benchmarks measure, several times the throughput of wrangler dev)',
  ].join('\n');
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return { help: true };
    if (a === '--workerd') {
      out.runner = 'workerd';
      continue;
    }
    const m = /^--port(?:=(.*))?$/.exec(a);
    if (m) {
      const v = m[1] ?? argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--port: not a port number: ${v}`);
      out.port = n;
      continue;
    }
    throw new Error(`unknown argument: ${a}`);
  }
  return out;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${err.message}\n${usage()}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage());
  process.exit(0);
}

const { tsImport } = await import('tsx/esm/api');
const { startLocalStack } = await tsImport(
  pathToFileURL(join(here, '..', 'src', 'local-stack.ts')).href,
  import.meta.url,
);

const say = (m) => console.log(`[chipid] ${m}`);
const abort = new AbortController();
let stack;
let stopping = false;
let abortRequested = false;

async function shutdown(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) say(why);
  try {
    await stack?.stop();
  } finally {
    process.exit(code);
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping || abortRequested) {
      // Second Ctrl-C: leave now (children are killed by the exit hooks).
      process.exit(130);
    }
    if (!stack) {
      // Still starting: abort; startLocalStack stops what it started, then we exit below.
      abortRequested = true;
      say(`${sig}: aborting start-up…`);
      abort.abort();
      return;
    }
    void shutdown(0, `${sig}: stopping the Worker and DynamoDB Local…`);
  });
}

const port = args.port ?? ((await portFree(8787)) ? 8787 : undefined);
if (port === undefined) {
  // Most often a chipid stack started earlier: this one gets another port, and .chipid/local.json
  // (what the CLI and the examples read) will point at this one from now on.
  say(
    'port 8787 is taken (another `npm start`?): serving on a free port instead; .chipid/local.json will name this stack, not the other',
  );
}
try {
  stack = await startLocalStack({
    port,
    log: say,
    workerOutput: 'inherit',
    signal: abort.signal,
    runner: args.runner ?? 'wrangler',
  });
} catch (err) {
  if (abort.signal.aborted) process.exit(0);
  console.error(`[chipid] npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (abortRequested) await shutdown(0);

const rel = (p) => relative(process.cwd(), p) || p;
console.log(`
chipid local stack is running
  URL          ${stack.url}
  console      ${stack.url}/console  (sandbox: pick a profile, see every check)
  client id    ${stack.clientId}
  issuer       ${stack.url}/sandbox  (sandbox assertions; keys at ${stack.url}/sandbox/.well-known/jwks.json)
  credentials  ${rel(stack.credentialsPath)}  ({ url, clientId, privateJwk })
  admin token  ${rel(stack.secretsPath)}  (ADMIN_TOKEN, for /admin/v1/…)
  DynamoDB     ${stack.dynamodb.endpoint} (${stack.dynamodb.kind}, in memory: data is gone when this stops)

Next:
  npx chipid sandbox card --profile valid --out card.json
  npx chipid submit card.json --challenge --scope given_name,family_name,age_over_18
      the sandbox virtual chip (card.chip.json) signs a fresh challenge: "verified"
  npx chipid submit card.json
      the stored dump alone (no active authentication): "inconclusive"
  npx tsx examples/sandbox-quickstart/index.ts
      the same through the SDK client, with the decoded assertion
  npx chipid sandbox profiles
      every sandbox outcome (revoked card, deceased citizen, cloned chip, …)

Ctrl-C stops everything.
`);

const err = await stack.failed;
console.error(`[chipid] ${err.message}`);
await shutdown(1, 'stopping the rest…');
