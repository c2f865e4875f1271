/** `chipid sandbox …` (issue 3 CLI contract), called in-process through `run(argv)`. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDump } from '../icao/dump.ts';
import { fromBase64 } from '../lib/bytes.ts';
import { PROFILE_NAMES } from '../sandbox/profiles.ts';
import { sandboxRegistryJSONL } from '../sandbox/registry.ts';
import { run } from './sandbox.ts';

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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
    return { code: await run(argv), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'chipid-sandbox-cli-'));

describe('chipid sandbox', () => {
  it('csca prints the CSCA PEM', async () => {
    const r = await capture(['csca']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it('profiles lists every profile with its expected outcome', async () => {
    const r = await capture(['profiles']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; expected: { result: string; reasons: string[] } }[];
    expect(list.map((p) => p.name)).toEqual([...PROFILE_NAMES]);
    expect(list.find((p) => p.name === 'clone')?.expected).toEqual({
      result: 'inconclusive',
      reasons: ['aa_failed'],
    });
  });

  it('registry prints the seed JSONL', async () => {
    const r = await capture(['registry']);
    expect(r.stdout).toBe(sandboxRegistryJSONL());
  });

  it('card writes a dump (deterministic with --seed, aa with --challenge) and prints a one-line summary', async () => {
    const out = join(dir, 'valid.json');
    const r = await capture([
      'card',
      '--profile',
      'valid',
      '--seed',
      '42',
      '--challenge',
      '0011223344556677',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      profile: 'valid',
      out,
      aa: true,
      expected: { result: 'verified', reasons: [] },
    });
    const text = readFileSync(out, 'utf8');
    const json = JSON.parse(text);
    expect(json.format).toBe('chipid.dump/1');
    expect(Array.from(parseDump(json).aa!.challenge)).toEqual(Array.from(fromBase64('ABEiM0RVZnc=')));
    await capture([
      'card',
      '--profile',
      'valid',
      '--seed',
      '42',
      '--challenge',
      '0011223344556677',
      '--out',
      join(dir, 'again.json'),
    ]);
    expect(readFileSync(join(dir, 'again.json'), 'utf8')).toBe(text);
  });

  it('card --out -: the dump on stdout, the summary with its seed on stderr (the seed rebuilds the card)', async () => {
    const r = await capture(['card', '--profile', 'valid', '--out', '-']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stderr) as { seed: string; out: string; chip?: string };
    expect(summary).toMatchObject({ out: '-', seed: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(summary.chip).toBeUndefined(); // no .chip.json beside stdout
    const again = await capture(['card', '--profile', 'valid', '--seed', summary.seed, '--out', '-']);
    expect(again.stdout).toBe(r.stdout);
    expect(parseDump(JSON.parse(r.stdout)).dg1.length).toBeGreaterThan(0);
  });

  it('every command answers --help on stdout with exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['card', '--help'],
      ['csca', '--help'],
      ['profiles', '-h'],
      ['registry', '--help'],
    ]) {
      const r = await capture(argv);
      expect([r.code, r.stderr], argv.join(' ')).toEqual([0, '']);
      expect(r.stdout, argv.join(' ')).toMatch(/^usage: chipid sandbox/);
    }
  });

  it('usage errors exit 2 with one line on stderr', async () => {
    for (const argv of [
      ['card', '--profile', 'nope', '--out', join(dir, 'x.json')],
      ['card', '--profile', 'valid', '--bogus', '--out', join(dir, 'x.json')],
      ['card', '--profile', 'valid', '--challenge', 'xyz', '--out', join(dir, 'x.json')],
      ['card', '--out', join(dir, 'x.json')],
      ['card', '--profile', 'valid'],
      ['frobnicate'],
      ['csca', 'extra'],
    ]) {
      const r = await capture(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });
});
