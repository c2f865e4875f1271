/**
 * DynamoDB Local launcher — Amazon's DynamoDB emulator (the jar shipped inside the npm package
 * `amplify-dynamodb-simulator`, folder `emulator/`), run in memory with the machine's Java on a
 * loopback port; dynalite (in-process, in memory) when no Java is found. DynamoDB Local has no host
 * option (its Jetty connector listens on every interface), so it is started through
 * `infra/java/LoopbackDynamoDBLocal.java`, which binds it to the requested address only.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { killGroup, Tail } from './processes.ts';

export type DynamoDBKind = 'dynamodb-local' | 'dynalite';

export interface StartDynamoDBLocalOptions {
  /** Port to listen on (default: a free loopback port). Reuse a port to restart after `stop()`. */
  readonly port?: number;
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** Which server: default from `CHIPID_DYNAMODB` (`dynamodb-local` | `dynalite`), else Java when found. */
  readonly kind?: DynamoDBKind;
  /** How long to wait for the first answer (default 30 s). */
  readonly timeoutMs?: number;
  /** Where warnings go (default: stderr). */
  readonly warn?: (message: string) => void;
  /**
   * How the JVM compiles DynamoDB Local (Java only). `startup` (default): the quick compiler alone, at
   * full speed within seconds — tests and `npm start`, where the emulator lives for seconds to minutes.
   * `throughput`: HotSpot's default tiered compilation (C2): its compile threads cost CPU during the
   * first ~30 s under load, after which each call costs about 35–40 % less CPU (`docs/decisions.md`; the
   * benchmark compares both in `bench/RESULTS.md`) — for long runs (the benchmark warms it up first).
   */
  readonly jit?: 'startup' | 'throughput';
}

export interface DynamoDBLocal {
  /** `http://<host>:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly kind: DynamoDBKind;
  /** Process id of the Java process (absent for in-process dynalite). */
  readonly pid?: number;
  /** Settles when the server has stopped, whether by `stop()` or by itself. */
  readonly exited: Promise<void>;
  /** Stop the server (SIGTERM, then SIGKILL after 5 s) and wait until it is gone. Idempotent. */
  stop(): Promise<void>;
}

const REGION = 'ap-southeast-1';
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';
/** The launcher, not DynamoDB Local, is at fault (reflection on internals that moved). */
const LAUNCHER_FAILURE =
  /LoopbackDynamoDBLocal|NoSuch(Field|Method)|ClassNotFound|IllegalAccess|InaccessibleObject|no Jetty connector/;
/** Both profiles: one GC thread (no parallel GC on 2 cores shared with the Worker), small thread stacks. */
const JVM_OPTIONS = ['-XX:+UseSerialGC', '-Xss512k'] as const;
const JIT_OPTIONS = { startup: ['-XX:TieredStopAtLevel=1'], throughput: [] } as const;

const here = dirname(fileURLToPath(import.meta.url));
const launcherSource = join(here, '..', 'java', `${LAUNCHER_CLASS}.java`);

const defaultWarn = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/**
 * A `DynamoDBClient` for a local endpoint: region `ap-southeast-1`, static dummy credentials (nothing
 * is read from files or the environment), bounded retries and timeouts.
 *
 * @example
 * const client = dynamoClient('http://127.0.0.1:8000');
 * await client.send(new ListTablesCommand({}));
 */
export function dynamoClient(
  endpoint: string,
  options: { maxAttempts?: number; requestTimeoutMs?: number } = {},
): DynamoDBClient {
  return new DynamoDBClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: 2_000, requestTimeout: options.requestTimeoutMs ?? 10_000 },
  });
}

/**
 * A port that was free on `host` a moment ago (bind port 0, read it, release it).
 *
 * @example
 * const port = await freePort(); // e.g. 41873
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The `emulator/` folder of the installed `amplify-dynamodb-simulator` package (DynamoDBLocal.jar and
 * DynamoDBLocal_lib/).
 *
 * @example
 * emulatorDir(); // '/repo/node_modules/amplify-dynamodb-simulator/emulator'
 */
export function emulatorDir(): string {
  let pkgDir: string | undefined;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json'));
  } catch {
    // The package has no `exports` today; walk up node_modules in case a future version adds one.
    for (let dir = here; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', 'amplify-dynamodb-simulator');
      if (existsSync(join(candidate, 'package.json'))) {
        pkgDir = candidate;
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  const dir = pkgDir === undefined ? undefined : join(pkgDir, 'emulator');
  if (dir === undefined || !existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(
      'DynamoDB Local: amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar not found (run npm ci)',
    );
  }
  return dir;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const ext of process.platform === 'win32' ? ['.exe', '.cmd', ''] : ['']) {
      const candidate = join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** `java` from CHIPID_JAVA, PATH or JAVA_HOME (in that order), or undefined. */
export function findJava(): string | undefined {
  const explicit = process.env.CHIPID_JAVA;
  if (explicit !== undefined && explicit !== '') return isExecutable(explicit) ? explicit : undefined;
  const onPath = findOnPath('java');
  if (onPath !== undefined) return onPath;
  const home = process.env.JAVA_HOME;
  if (home !== undefined && home !== '') {
    const candidate = join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function javacNextTo(java: string): string | undefined {
  const sibling = join(dirname(java), process.platform === 'win32' ? 'javac.exe' : 'javac');
  return isExecutable(sibling) ? sibling : findOnPath('javac');
}

/** Compile the loopback launcher once into a cache folder; undefined when there is no javac. */
async function launcherClassDir(java: string, emulator: string): Promise<string | undefined> {
  const source = readFileSync(launcherSource);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const nodeModules = dirname(dirname(emulator));
  const cacheRoot = existsSync(nodeModules)
    ? join(nodeModules, '.cache', 'chipid')
    : join(tmpdir(), 'chipid-cache');
  const dir = join(cacheRoot, `dynamodb-local-launcher-${hash}`);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  const javac = javacNextTo(java);
  if (javac === undefined) return undefined;
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        javac,
        ['--release', '11', '-d', staging, launcherSource],
        { timeout: 60_000 },
        (err, _out, stderr) =>
          err ? reject(new Error(`javac failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
    try {
      renameSync(staging, dir);
    } catch {
      // Another process won the race; its copy is identical.
      rmSync(staging, { recursive: true, force: true });
    }
    return existsSync(join(dir, `${LAUNCHER_CLASS}.class`)) ? dir : undefined;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Live Java children, killed if this process exits or is interrupted before stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const child of liveChildren) killGroup(child, 'SIGTERM');
      // Keep the default behaviour (terminate) when nobody else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

async function waitUntilAnswering(
  endpoint: string,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<void> {
  const client = dynamoClient(endpoint, { maxAttempts: 1, requestTimeoutMs: 2_000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let delay = 50; ; delay = Math.min(delay * 1.5, 250)) {
      const why = failed();
      if (why !== undefined) throw new Error(why);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `no answer to ListTables within ${timeoutMs} ms (${err instanceof Error ? err.message : String(err)})`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } finally {
    client.destroy();
  }
}

async function startJava(
  java: string,
  port: number,
  host: string,
  timeoutMs: number,
  warn: (message: string) => void,
  jit: keyof typeof JIT_OPTIONS,
): Promise<DynamoDBLocal> {
  const emulator = emulatorDir();
  const jar = join(emulator, 'DynamoDBLocal.jar');
  let classDir: string | undefined;
  try {
    classDir = await launcherClassDir(java, emulator);
  } catch (err) {
    warn(
      `chipid: could not build the loopback launcher (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const serverArgs = ['-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)];
  const base = [
    ...JIT_OPTIONS[jit],
    ...JVM_OPTIONS,
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
  ];
  const attempts: { args: string[]; launcher: boolean; note?: string }[] = [];
  if (classDir !== undefined) {
    attempts.push({
      launcher: true,
      args: [
        ...base,
        `-Dchipid.host=${host}`,
        '-cp',
        [jar, classDir].join(delimiter),
        LAUNCHER_CLASS,
        ...serverArgs,
      ],
    });
  }
  attempts.push({
    launcher: false,
    args: [...base, '-jar', jar, ...serverArgs],
    note:
      `chipid: DynamoDB Local started without the loopback launcher: it listens on every interface, not only ${host} ` +
      (classDir === undefined
        ? '(no javac found to build infra/java/LoopbackDynamoDBLocal.java: install a JDK)'
        : '(the launcher failed; see infra/java/LoopbackDynamoDBLocal.java)'),
  });

  let lastError: Error | undefined;
  for (const attempt of attempts) {
    if (!(await portIsFree(port, host))) {
      throw new Error(`DynamoDB Local: port ${port} on ${host} is already in use`);
    }
    const output = new Tail();
    const child = spawn(java, attempt.args, {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    liveChildren.add(child);
    installExitHooks();
    child.stdout?.on('data', (c: Buffer) => output.push(c));
    child.stderr?.on('data', (c: Buffer) => output.push(c));
    let spawnError: Error | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        liveChildren.delete(child);
        resolve();
      });
      child.once('exit', () => {
        liveChildren.delete(child);
        resolve();
      });
    });
    const endpoint = `http://${host}:${port}`;
    try {
      await waitUntilAnswering(endpoint, timeoutMs, () => {
        if (spawnError !== undefined) return `could not run ${java}: ${spawnError.message}`;
        if (child.exitCode !== null || child.signalCode !== null) {
          return `exited (${child.exitCode ?? child.signalCode}) before answering`;
        }
        return undefined;
      });
    } catch (err) {
      killGroup(child, 'SIGKILL');
      await exited;
      const tail = output.toString();
      lastError = new Error(
        `DynamoDB Local failed to start on ${endpoint}: ${err instanceof Error ? err.message : String(err)}${tail ? `\n--- its output (tail) ---\n${tail}` : ''}`,
      );
      // Fall back to the plain jar only when the launcher itself broke (e.g. a DynamoDB Local whose
      // internals changed), not when the process was killed or the JVM failed for any other reason.
      const launcherBroke =
        attempt.launcher &&
        child.signalCode === null &&
        LAUNCHER_FAILURE.test(tail) &&
        spawnError === undefined;
      if (!launcherBroke) throw lastError;
      continue;
    }
    if (attempt.note !== undefined) warn(attempt.note);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
        child.stdout?.destroy();
        child.stderr?.destroy();
      })();
      return stopping;
    };
    const handle: DynamoDBLocal = { endpoint, port, kind: 'dynamodb-local', exited, stop };
    return child.pid === undefined ? handle : { ...handle, pid: child.pid };
  }
  throw lastError ?? new Error('DynamoDB Local failed to start');
}

async function startDynalite(port: number, host: string): Promise<DynamoDBLocal> {
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  let markExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      server.close(() => {
        markExited();
        resolve();
      });
      server.closeAllConnections();
    });
    return stopping;
  };
  return { endpoint: `http://${host}:${actualPort}`, port: actualPort, kind: 'dynalite', exited, stop };
}

/**
 * Start DynamoDB Local in memory on a loopback port and wait until it answers ListTables. Falls back
 * to dynalite (warning on stderr) when no `java` is found or `CHIPID_DYNAMODB=dynalite`. The Java
 * process is killed if this process exits first.
 *
 * @example
 * const ddb = await startDynamoDBLocal();
 * const client = dynamoClient(ddb.endpoint);
 * // …
 * await ddb.stop();
 */
export async function startDynamoDBLocal(options: StartDynamoDBLocalOptions = {}): Promise<DynamoDBLocal> {
  const host = options.host ?? '127.0.0.1';
  const warn = options.warn ?? defaultWarn;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fromEnv = process.env.CHIPID_DYNAMODB;
  const wanted: DynamoDBKind | undefined =
    options.kind ?? (fromEnv === 'dynalite' || fromEnv === 'dynamodb-local' ? fromEnv : undefined);
  const port = options.port ?? (await freePort(host));

  if (wanted !== 'dynalite') {
    const java = findJava();
    if (java !== undefined) return startJava(java, port, host, timeoutMs, warn, options.jit ?? 'startup');
    if (wanted === 'dynamodb-local') {
      throw new Error('DynamoDB Local: no java found (PATH, JAVA_HOME or CHIPID_JAVA); Java 11+ is needed');
    }
    warn(
      'chipid: no Java found: using dynalite instead of DynamoDB Local (no transactions, no TTL). ' +
        'Install Java 17 for the real emulator.',
    );
  } else if (fromEnv === 'dynalite' && options.kind === undefined) {
    warn('chipid: CHIPID_DYNAMODB=dynalite: using dynalite (no transactions, no TTL)');
  }
  return startDynalite(port, host);
}
