/**
 * The SDK runs unchanged in workerd: the probe Worker (sdk-worker.ts) is bundled with esbuild and run
 * in Miniflare; its answers must equal the Node results for the same inputs.
 * Data: Slovenian passport SOD/DS/CSCA/DG15 + 4 real AA signatures (ZeroPass test vectors),
 * BSI TR-03105 DG1; BAC worked example from Doc 9303 Part 11 Appendix D.
 */
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForWorkerd, workerCompatibility } from '../../infra/src/bundle.ts';
import { chipDigest, createTrustStore, describeDump, parseDump, verifyChip } from '../../sdk/src/index.ts';
import { toBase64 } from '../../sdk/src/lib/bytes.ts';

const vec = (p: string) => new Uint8Array(readFileSync(new URL(`../vectors/${p}`, import.meta.url)));
const b64 = (p: string) => toBase64(vec(p));
const aaSigs = JSON.parse(
  readFileSync(new URL('../vectors/slovenia-passport/aa_sigs.json', import.meta.url), 'utf8'),
);

const dump = {
  format: 'chipid.dump/1' as const,
  sod: b64('slovenia-passport/ef.sod_si_454CB206.bin'),
  // No DG1 exists for the Slovenian data: the BSI one stands in (its hash is expected to fail).
  dg1: b64('bsi-tr03105/Datagroup1.bin'),
  dg15: b64('slovenia-passport/ef.dg15_ef.sod_si_454CB206.bin'),
};

let mf: Miniflare;
beforeAll(async () => {
  const script = await bundleForWorkerd(new URL('./sdk-worker.ts', import.meta.url).pathname);
  // The Worker's date, without nodejs_compat: the SDK needs no Node APIs.
  mf = new Miniflare({ modules: true, script, compatibilityDate: workerCompatibility().compatibilityDate });
});
afterAll(async () => {
  await mf?.dispose();
});

describe('@chipid/sdk inside workerd', () => {
  it('gives the same verification, parse and digest results as Node', async () => {
    const toHexStr = (s: string) => Buffer.from(s, 'hex');
    const entry = aaSigs['ef.dg15_ef.sod_si_454CB206'] as { challenge: string; csigs: string[] };
    const challengeHex = entry.challenge;
    const sigs = entry.csigs.map((s) => toHexStr(s).toString('base64'));
    const probe = {
      dump,
      csca: b64('slovenia-passport/csca_si_448831f1.cer'),
      at: '2020-01-01T00:00:00Z',
      aa: { dg15: dump.dg15, challenge: toHexStr(challengeHex).toString('base64'), signatures: sigs },
    };
    const res = await mf.dispatchFetch('http://probe/', { method: 'POST', body: JSON.stringify(probe) });
    expect(res.status).toBe(200);
    const w = (await res.json()) as Record<string, unknown>;

    const parsed = parseDump(dump);
    const node = await verifyChip(parsed, {
      trust: createTrustStore({ cscas: [vec('slovenia-passport/csca_si_448831f1.cer')] }),
      at: new Date('2020-01-01T00:00:00Z'),
    });
    expect(w.checks).toEqual(node.checks.map((c) => `${c.name}:${c.code ?? 'ok'}`));
    expect(w.checks).toContain('sod.signature:ok');
    expect(w.checks).toContain('ds.chain:ok');
    expect(w.checks).toContain('dg15.hash:ok');
    expect(w.signatureAlgorithm).toBe('rsa-pkcs1-v1_5-SHA-256');
    expect(w.describe).toEqual(JSON.parse(JSON.stringify(describeDump(parsed).dg1)));
    expect(w.digest).toBe(await chipDigest(dump));
    expect(w.bac).toBe('ab94fdecf2674fdfb9b391f85d7f76f2');
    expect(sigs.length).toBe(4);
    expect(w.aa).toEqual([true, true, true, true]);
    expect(w.curves).toEqual({ brainpoolP256r1: true, brainpoolP384r1: true, 'P-384': true });
  });
});
