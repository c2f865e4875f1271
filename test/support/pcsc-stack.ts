/**
 * A real PC/SC stack for tests: pcsc-lite's `pcscd` loading vsmartcard's virtual reader driver
 * (`vsmartcard-vpcd`, readers "Virtual PCD 00 00" on port 35963 and "Virtual PCD 00 01" on 35964),
 * cards plugged in over vpcd's socket (test/support/vpcd.ts), and vsmartcard's independent ePassport
 * emulator made runnable by ../shared/tools/emrtd-emulator (BAC, 3DES).
 *
 * The harness starts what is not running and stops every daemon it started. pcscd is machine-wide
 * (/run/pcscd/pcscd.comm): one already listening on vpcd's port is reused and left running.
 *
 * vpcd's socket writes its 2-byte length and the APDU separately, so Nagle's algorithm on its side
 * meets delayed ACK on ours (~48 ms per APDU). Node cannot set TCP_QUICKACK, so the harness reaches
 * vpcd through 127.0.0.2 with a host route marked `quickack 1` (iproute2; only that address's
 * traffic is affected, the route is removed at stop): 0.4 ms per APDU. Without `ip` it falls back
 * to 127.0.0.1, slower but the same bytes.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { listPcscReaders, loadPcscBinding } from '../../sdk/src/cli/pcsc.ts';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PCSCD = '/usr/sbin/pcscd';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const QUICKACK_HOST = '127.0.0.2';

/** The readers vpcd offers, by port. */
export const VPCD_READERS = { 35963: 'Virtual PCD 00 00', 35964: 'Virtual PCD 00 01' } as const;

/** Why the PC/SC stack cannot run here (undefined = it can). */
export async function pcscStackUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux')
    return `PC/SC stack tests need Linux (pcscd + vpcd), not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'PC/SC stack tests start pcscd and need root';
  const missing = [existsSync(PCSCD) ? '' : 'pcscd', existsSync(VPCD_DRIVER) ? '' : 'vsmartcard-vpcd'].filter(
    Boolean,
  );
  if (missing.length)
    return `Debian packages missing: ${missing.join(', ')} (apt-get install pcscd vsmartcard-vpcd libpcsclite-dev)`;
  try {
    await loadPcscBinding();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** The emulator's folder: EMRTD_EMULATOR_DIR, the repo's ../shared copy, or /work/shared. */
export function emulatorDir(): string | undefined {
  const candidates = [
    process.env.EMRTD_EMULATOR_DIR,
    resolve(REPO, '../shared/tools/emrtd-emulator'),
    '/work/shared/tools/emrtd-emulator',
  ];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'emrtd_vicc.py')));
}

function debInstalled(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', `-f=\${Status}`, pkg], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).includes('install ok installed');
  } catch {
    return false;
  }
}

/** Why the independent emulator cannot run here (undefined = it can). */
export function emulatorUnavailable(): string | undefined {
  if (!emulatorDir()) return 'the eMRTD emulator (../shared/tools/emrtd-emulator) is not beside the repo';
  const missing = ['python3-virtualsmartcard', 'python3-pycryptodome', 'python3-pyscard'].filter(
    (p) => !debInstalled(p),
  );
  if (missing.length) return `Debian packages missing: ${missing.join(', ')}`;
  return undefined;
}

/**
 * In CI (CI=true) an unavailable stack is a failure; elsewhere it is said loudly and the tests skip.
 * Returns true when the tests should run.
 */
export function stackRequired(reason: string | undefined, what: string): boolean {
  if (!reason) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${what} must run in CI but cannot: ${reason}`);
  }
  console.warn(`\n⚠ SKIPPING ${what}: ${reason}\n`);
  return false;
}

const listening = (port: number): boolean => {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    return readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .some((l) => l.includes(`${hexPort}00000000:0000 0A`));
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** vpcd's two ports (its two virtual readers), inside Linux's default ephemeral range 32768–60999. */
const VPCD_PORTS = [35963, 35964] as const;

/** Any socket, in any state, whose local port is `port` (an outgoing connection's, a TIME_WAIT…). */
const portInUse = (port: number): boolean => {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) => {
    try {
      return readFileSync(f, 'utf8')
        .split('\n')
        .some((l) => l.split(/\s+/)[2]?.endsWith(hexPort.trim()));
    } catch {
      return false;
    }
  });
};

/**
 * vpcd binds its ports without SO_REUSEADDR, and they lie in the ephemeral range: while the test run's
 * thousands of loopback connections can take one as a client port (or leave it in TIME_WAIT), pcscd's
 * vpcd fails with "Address already in use" — a flaky start. Reserve them from the ephemeral range
 * (`net.ipv4.ip_local_reserved_ports`, kept with whatever is reserved already; root, as the harness is
 * in CI), then wait until no socket still holds them (TIME_WAIT ends within 60 s).
 */
async function freeVpcdPorts(): Promise<void> {
  const file = '/proc/sys/net/ipv4/ip_local_reserved_ports';
  try {
    const current = readFileSync(file, 'utf8').trim();
    const reserved = current.split(',').some((r) => {
      const [a, b = a] = r.split('-').map(Number);
      return a !== undefined && a <= VPCD_PORTS[0] && VPCD_PORTS[1] <= (b ?? a);
    });
    if (!reserved) writeFileSync(file, current ? `${current},35963-35964` : '35963-35964');
  } catch {
    // Not root (a developer's checkout): the wait below still avoids most collisions.
  }
  for (let i = 0; i < 140 && VPCD_PORTS.some(portInUse); i++) await sleep(500);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

/** A running PC/SC stack. */
export interface PcscStack {
  /** The address the cards reach vpcd on (127.0.0.2 with quick ACKs, else 127.0.0.1). */
  readonly vpcdHost: string;
  /** True when this harness started pcscd (and will stop it). */
  readonly startedPcscd: boolean;
  /** pcscd's log file when started here. */
  readonly log: string | undefined;
  stop(): Promise<void>;
}

/** Starts pcscd (unless one already serves vpcd) and the quick-ACK route; waits for vpcd's ports. */
export async function startPcscStack(): Promise<PcscStack> {
  let child: ChildProcess | undefined;
  let log: string | undefined;
  if (!listening(35963)) {
    const state = mkdtempSync(join(tmpdir(), 'chipid-pcscd-'));
    log = join(state, 'pcscd.log');
    // Two tries: a port taken between the wait and pcscd's bind is waited out once more.
    for (let attempt = 1; ; attempt++) {
      await freeVpcdPorts();
      const out = openSync(log, 'a');
      // A pcscd killed earlier leaves its socket and pid file; a new one refuses to start beside them.
      await run('rm', ['-f', '/run/pcscd/pcscd.comm', '/run/pcscd/pcscd.pid']);
      mkdirSync('/run/pcscd', { recursive: true }); // /run is emptied at boot; systemd-tmpfiles is not there to make it
      child = spawn(PCSCD, ['--foreground'], { stdio: ['ignore', out, out] });
      for (let i = 0; i < 100 && !(listening(35963) && listening(35964)); i++) {
        if (child.exitCode !== null) break;
        await sleep(50);
      }
      if (listening(35963) && listening(35964)) break;
      await stopChild(child);
      if (attempt >= 2)
        throw new Error(`pcscd did not start vpcd (log: ${readFileSync(log, 'utf8').slice(-500)})`);
    }
  }
  let route = false;
  try {
    await run('ip', [
      'route',
      'add',
      'local',
      `${QUICKACK_HOST}/32`,
      'dev',
      'lo',
      'table',
      'local',
      'quickack',
      '1',
    ]);
    route = true;
  } catch (e) {
    // Already there (a previous run) is as good; anything else: plain loopback.
    route = /File exists/.test(String((e as { stderr?: string }).stderr));
  }
  return {
    vpcdHost: route ? QUICKACK_HOST : '127.0.0.1',
    startedPcscd: child !== undefined,
    log,
    async stop() {
      if (route)
        await run('ip', ['route', 'del', 'local', `${QUICKACK_HOST}/32`, 'table', 'local']).catch(() => {});
      if (child) await stopChild(child);
    },
  };
}

/** Waits until `reader` reports a card present (or absent with `present = false`). */
export async function waitForCard(reader: string, present = true, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await listPcscReaders()).find((x) => x.name === reader);
    if (r && r.cardPresent === present) return;
    if (Date.now() > until)
      throw new Error(`reader '${reader}' did not report a card ${present ? 'present' : 'absent'}`);
    await sleep(50);
  }
}

/** A data set made by the emulator's make_dataset.py. */
export interface EmulatorDataset {
  dir: string;
  /** The full MRZ (TD1, CCCD style). */
  mrz: string;
  /** Document number, birth and expiry dates read from the MRZ information. */
  documentNumber: string;
  dateOfBirth: string;
  dateOfExpiry: string;
}

/** Makes a CCCD-style TD1 data set with an EC Active Authentication key (`make_dataset.py --td1-vnm --aa ec`). */
export async function makeEmulatorDataset(): Promise<EmulatorDataset> {
  const tool = emulatorDir();
  if (!tool) throw new Error('emulator not found');
  const dir = mkdtempSync(join(tmpdir(), 'chipid-emrtd-'));
  const { stdout } = await run('/usr/bin/python3', [
    join(tool, 'make_dataset.py'),
    dir,
    '--td1-vnm',
    '--aa',
    'ec',
  ]);
  const mrz = /^MRZ=(.*)$/m.exec(stdout)?.[1];
  const info = /^MRZ_INFO=(\d{9}|[0-9A-Z<]{9})(\d)(\d{6})(\d)(\d{6})(\d)$/m.exec(stdout);
  if (!mrz || !info?.[1] || !info[3] || !info[5]) throw new Error(`make_dataset.py said: ${stdout}`);
  return {
    dir,
    mrz,
    documentNumber: info[1].replace(/<+$/, ''),
    dateOfBirth: info[3],
    dateOfExpiry: info[5],
  };
}

/** The emulator running as a card in reader `VPCD_READERS[port]`. */
export interface Emulator {
  readonly reader: string;
  stop(): Promise<void>;
}

/** Starts the emulator with `data` on vpcd `port` (up.sh; pcscd must be running), with AA by `data/keys/aa.pem`. */
export async function startEmulator(data: string, port: 35963 | 35964 = 35964): Promise<Emulator> {
  const tool = emulatorDir();
  if (!tool) throw new Error('emulator not found');
  const state = mkdtempSync(join(tmpdir(), 'chipid-emu-'));
  const env = { ...process.env, EMU_STATE: state, EMU_PORT: String(port) };
  try {
    await run(join(tool, 'up.sh'), [data, '--aa-key', join(data, 'keys', 'aa.pem')], {
      env,
      timeout: 60_000,
    });
  } catch (e) {
    await run(join(tool, 'down.sh'), [], { env }).catch(() => {});
    throw new Error(
      `emulator did not start: ${(e as { stdout?: string }).stdout ?? ''} ${(e as Error).message}`,
    );
  }
  return {
    reader: VPCD_READERS[port],
    async stop() {
      await run(join(tool, 'down.sh'), [], { env }).catch(() => {});
    },
  };
}
