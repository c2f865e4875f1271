/** `chipid read` (issue 17 item 11 CLI contract), in-process through `run(argv)` / `main(argv)`. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCard } from '../sandbox/factory.ts';
import { virtualCard } from '../sandbox/virtual-card/index.ts';
import { main } from './main.ts';
import { parseReadArgs, run } from './read.ts';
import { run as sandboxRun } from './sandbox.ts';

// `--reader` goes through PC/SC (cli/pcsc.ts); here a virtual chip that leaves the field once mid-DG2
// stands in for the reader, so the interrupted-read path (partial file, --resume) runs end to end.
const pcscState = vi.hoisted(() => ({ chip: undefined as unknown, opened: 0 }));
vi.mock('./pcsc.ts', () => ({
  openPcscTransport: async () => {
    pcscState.opened++;
    const chip = pcscState.chip as { transceive(c: Uint8Array): Promise<Uint8Array>; powerOn(): void };
    chip.powerOn();
    return { transceive: (c: Uint8Array) => chip.transceive(c), close: async () => {} };
  },
}));

async function capture(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  });
  try {
    return { code: await fn(), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'chipid-read-cli-'));
let can: string;
let idNumber: string;

beforeAll(async () => {
  const card = await makeCard({ profile: 'valid', seed: '7' });
  idNumber = card.citizen.idNumber;
  can = idNumber.slice(-6);
}, 60_000);

describe('chipid read', () => {
  it('--virtual <profile> --seed <n> writes the very file `chipid sandbox card --profile <profile> --seed <n>` writes', async () => {
    const out = join(dir, 'read.json');
    const r = await capture(() => run(['--can', can, '--virtual', 'valid', '--seed', '7', '--out', out]));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      accessControl: 'pace',
      chipAuthentication: 'passed',
      activeAuthentication: 'skipped',
    });
    expect(r.stderr).toMatch(/chipid read: pace/);
    const ref = join(dir, 'card.json');
    expect(
      (await capture(() => sandboxRun(['card', '--profile', 'valid', '--seed', '7', '--out', ref]))).code,
    ).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(ref));
  }, 60_000);

  it('--challenge puts the chip answer in the dump; --out - writes it to stdout', async () => {
    const r = await capture(() =>
      run([
        '--cccd',
        idNumber,
        '--dob',
        '000101',
        '--doe',
        '300101',
        '--virtual',
        'valid',
        '--seed',
        '7',
        '--challenge',
        '0102030405060708',
        '--out',
        '-',
      ]),
    );
    // CAN from the id number: the dates do not matter for PACE-CAN.
    expect(r.code).toBe(0);
    const dump = JSON.parse(r.stdout);
    expect(dump.aa.challenge).toBe('AQIDBAUGBwg=');
    expect(dump.aa.signature.length).toBeGreaterThan(10);
  }, 60_000);

  it('a wrong CAN: exit 1 with the hint', async () => {
    const wrong = can === '000000' ? '111111' : '000000';
    const r = await capture(() =>
      run(['--can', wrong, '--virtual', 'valid', '--seed', '7', '--out', join(dir, 'x.json')]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_ACCESS_DENIED/);
    expect(r.stderr).toMatch(/Do not retry with the same key/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  }, 60_000);

  it('--reader: an interrupted read leaves <out>.partial.json (exit 2); --resume finishes it, byte-identical', async () => {
    const card = await makeCard({ profile: 'valid', seed: '7' });
    pcscState.chip = virtualCard(card, { seed: 1, faults: { dropAfterApdus: 24 } });
    const out = join(dir, 'pcsc.json');
    const first = await capture(() => run(['--can', can, '--reader', '--out', out]));
    expect(first.code).toBe(2);
    const partialFile = join(dir, 'pcsc.partial.json');
    expect(first.stderr).toContain(`--resume ${partialFile}`);
    const partial = JSON.parse(readFileSync(partialFile, 'utf8'));
    expect(partial.format).toBe('chipid.partial/1');
    const second = await capture(() =>
      run(['--can', can, '--reader', '--resume', partialFile, '--out', out]),
    );
    expect(second.code).toBe(0);
    const dump = JSON.parse(readFileSync(out, 'utf8'));
    for (const k of ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const)
      expect(dump[k]).toBe(card.dump[k]);
    expect(pcscState.opened).toBe(2);
  }, 60_000);

  it('usage errors exit 2 through main', async () => {
    for (const argv of [
      ['read', '--virtual', 'valid', '--out', '-'],
      ['read', '--can', '123456', '--out', '-'],
      ['read', '--can', '123456', '--virtual', 'valid', '--reader', '--out', '-'],
      ['read', '--can', '12345', '--virtual', 'valid', '--out', '-'],
      ['read', '--mrz', 'AB123,900101', '--virtual', 'valid', '--out', '-'],
      ['read', '--cccd', '001090211803', '--virtual', 'valid', '--out', '-'],
      ['read', '--can', '123456', '--virtual', 'nope', '--out', '-'],
      ['read', '--can', '123456', '--virtual', 'valid'],
      ['read', '--can', '123456', '--virtual', 'valid', '--challenge', 'xyz', '--out', '-'],
    ]) {
      const r = await capture(() => main(argv));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/chipid read: ERR_CONFIG/);
    }
  });

  it('parseReadArgs: the three keys, --reader with and without a name, extra flags for other commands', () => {
    expect(parseReadArgs(['--mrz', 'c4khny1pf,780214,330315', '--reader', 'ACS', '--out', 'x']).key).toEqual({
      mrz: { documentNumber: 'C4KHNY1PF', dateOfBirth: '780214', dateOfExpiry: '330315' },
    });
    expect(parseReadArgs(['--reader', '--can', '123456', '--out', 'x']).source).toEqual({ kind: 'reader' });
    const a = parseReadArgs(
      [
        '--cccd',
        '001090211803',
        '--dob',
        '900101',
        '--doe',
        '300101',
        '--virtual',
        'clone',
        '--scope',
        'a,b',
      ],
      {
        extra: { scope: { type: 'string' } },
        requireOut: false,
        command: 'submit',
      },
    );
    expect(a.key).toEqual({
      cccd: { idNumber: '001090211803', dateOfBirth: '900101', dateOfExpiry: '300101' },
    });
    expect(a.source).toEqual({ kind: 'virtual', profile: 'clone' });
    expect(a.values.scope).toBe('a,b');
  });
});
