/**
 * Generated docs stay in step with the code: docs/errors.md (every SDK error, service problem and
 * reason code, each with advice), docs/api.md (from the Worker's /openapi.json — the same document the
 * bundled Worker serves in workerd), the sandbox profiles table, and the SDK names the guides import.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sdk from '@chipid/sdk';
import * as sandbox from '@chipid/sdk/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBLEMS } from '../functions/src/problems.ts';
import { ERROR_CODES } from '../sdk/src/errors.ts';
import { REASONS } from '../sdk/src/reasons.ts';
import { listProfiles } from '../sdk/src/sandbox/index.ts';
import { startWorker, type TestWorker } from '../test/support/worker.ts';
import { API_DOC, DOC_SERVICE_URL, fetchOpenAPI, renderApiDoc } from './docs-api.ts';
import { ADVICE, adviceGaps, ERRORS_DOC, ROOT, renderErrorsDoc } from './docs-codes.ts';
import { END, renderProfilesTable, SANDBOX_DOC, START, withProfilesTable } from './docs-sandbox.ts';

const read = (p: string) => readFileSync(p, 'utf8');

describe('docs/errors.md', () => {
  it('documents every code with advice, and no code that is gone', () => {
    expect(adviceGaps()).toEqual({ missing: [], stale: [] });
  });

  it('equals the generator output (run npx tsx scripts/docs-codes.ts)', () => {
    expect(read(ERRORS_DOC)).toBe(renderErrorsDoc());
  });

  it('has a row for each SDK error code, service problem code and reason code', () => {
    const doc = read(ERRORS_DOC);
    for (const c of [...ERROR_CODES, ...Object.keys(PROBLEMS), ...Object.keys(REASONS)])
      expect(doc, c).toMatch(new RegExp(`^\\| \\[?\`${c}\``, 'm'));
  });

  it('refuses to render when a code lacks advice', () => {
    const saved = ADVICE.aa_failed;
    delete ADVICE.aa_failed;
    try {
      expect(adviceGaps().missing).toEqual(['aa_failed']);
      expect(() => renderErrorsDoc()).toThrow(/no advice for aa_failed/);
    } finally {
      ADVICE.aa_failed = saved as string;
    }
  });
});

describe('docs/api.md', () => {
  let w: TestWorker | undefined;
  afterAll(async () => {
    await w?.stop();
  });

  it('equals the generator output (run npx tsx scripts/docs-api.ts)', async () => {
    expect(read(API_DOC)).toBe(renderApiDoc(await fetchOpenAPI()));
  });

  it('lists every path, method and schema of /openapi.json and every problem code', async () => {
    const doc = read(API_DOC);
    const oa = await fetchOpenAPI();
    for (const [path, item] of Object.entries(oa.paths))
      for (const method of Object.keys(item)) expect(doc).toContain(`### ${method.toUpperCase()} ${path}`);
    for (const name of Object.keys(oa.components?.schemas ?? {})) expect(doc).toContain(`### ${name}`);
    for (const code of Object.keys(PROBLEMS)) expect(doc).toContain(`| \`${code}\` |`);
  });

  it('every operation taking parameters or a body documents its 400 (the validators answer ERR_VALIDATION)', async () => {
    const oa = (await fetchOpenAPI()) as unknown as {
      paths: Record<
        string,
        Record<string, { parameters?: unknown[]; requestBody?: unknown; responses: object }>
      >;
    };
    const missing: string[] = [];
    for (const [path, item] of Object.entries(oa.paths))
      for (const [method, op] of Object.entries(item))
        if ((op.parameters?.length || op.requestBody) && !('400' in op.responses))
          missing.push(`${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  it('is generated from the same document the bundled Worker serves in workerd', async () => {
    // /openapi.json touches no storage: any endpoint string will do.
    w = await startWorker({
      endpoint: 'http://127.0.0.1:9',
      prefix: 'docs-',
      bindings: { SERVICE_URL: DOC_SERVICE_URL },
    });
    const res = await w.fetch('/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await fetchOpenAPI());
  }, 120_000);
});

describe('docs/sandbox.md', () => {
  it('has the profiles table of the sandbox factory (run npx tsx scripts/docs-sandbox.ts)', () => {
    const doc = read(SANDBOX_DOC);
    expect(doc).toContain(START);
    expect(doc).toContain(END);
    expect(withProfilesTable(doc)).toBe(doc);
    for (const p of listProfiles())
      expect(renderProfilesTable()).toContain(`| \`${p.name}\` | ${p.expected.result} |`);
  });
});

describe('code samples in docs/*.md and the SDK package README', () => {
  const docs = [
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
    join('sdk', 'README.md'),
  ];
  const modules: Record<string, Record<string, unknown>> = {
    '@chipid/sdk': sdk as Record<string, unknown>,
    '@chipid/sdk/sandbox': sandbox as Record<string, unknown>,
  };

  it('import only names the SDK really exports', () => {
    let checked = 0;
    for (const f of docs) {
      const text = read(join(ROOT, f));
      for (const m of text.matchAll(/import\s*\{([^}]+)\}\s*from\s*'(@chipid\/sdk(?:\/sandbox)?)'/g)) {
        const mod = modules[m[2] as string] as Record<string, unknown>;
        for (const raw of (m[1] as string).split(',')) {
          const name = raw
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]
            ?.trim();
          if (!name || raw.trim().startsWith('type ')) continue;
          expect(Object.keys(mod), `${f}: ${name} from ${m[2]}`).toContain(name);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('use client methods that exist', async () => {
    const client = sdk.createClient({
      baseUrl: 'http://127.0.0.1:1',
      clientId: 'sandbox_docs',
      privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k' },
    });
    for (const f of docs) {
      for (const m of read(join(ROOT, f)).matchAll(/\bclient\.([a-zA-Z]+)\(/g))
        expect(
          typeof (client as unknown as Record<string, unknown>)[m[1] as string],
          `${f}: client.${m[1]}`,
        ).toBe('function');
    }
  });
});

describe('docs/integration-guide.md: the multipart chip_digest', () => {
  it("its worked example is chipPartsDigest's answer (and the manifest, recomputed with node:crypto)", async () => {
    const doc = read(join(ROOT, 'docs', 'integration-guide.md'));
    const at = doc.indexOf('<!-- parts-digest-example -->');
    expect(at).toBeGreaterThan(0);
    const manifest = /```text\n(.+)\n```/.exec(doc.slice(at))?.[1];
    const digest = /`chip_digest` = `([A-Za-z0-9_-]{43})`/.exec(doc.slice(at))?.[1];
    const hex = (h: string) => new Uint8Array(Buffer.from(h.replaceAll(' ', ''), 'hex'));
    const dump = {
      sod: hex('77 01 ff'),
      dg1: hex('61 01 00'),
      dg2: hex('75 02 a1 b2'),
      aa: { challenge: hex('01 02 03 04 05 06 07 08'), signature: hex('c0 ff ee') },
    };
    expect(await sdk.chipPartsDigest(dump)).toBe(digest);
    const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('base64url');
    expect(sha(manifest as string)).toBe(digest);
    expect(JSON.parse(manifest as string)).toEqual({
      aa: { challenge: sha(dump.aa.challenge), signature: sha(dump.aa.signature) },
      dg1: sha(dump.dg1),
      dg2: sha(dump.dg2),
      format: 'chipid.parts/1',
      sod: sha(dump.sod),
    });
  });
});
