/**
 * DESIGN.md "Layout": the SDK runs in Node, browsers, React Native and workerd, so outside the CLI it
 * imports no `node:*` module, hono or the AWS SDK — statically or dynamically. The one place that uses
 * a Node built-in, `crypto/native.ts`, looks it up at run time (`process.getBuiltinModule`) and falls
 * back to portable code where it is missing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'cli' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const FORBIDDEN =
  /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](node:[^'"]*|hono[^'"]*|@aws-sdk\/[^'"]*)['"]/g;

describe('SDK boundaries', () => {
  const files = sources(root);

  it('finds the SDK sources', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it('no module outside the CLI imports node:*, hono or @aws-sdk', () => {
    const found = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(FORBIDDEN)].map((m) => `${relative(root, f)}: ${m[1]}`),
    );
    expect(found).toEqual([]);
  });

  it('zod comes in through lib/zod.ts alone (named members: its `z` object would bundle every locale)', () => {
    const users = files.filter((f) => /from\s+['"]zod(?:\/[^'"]*)?['"]/.test(readFileSync(f, 'utf8')));
    expect(users.map((f) => relative(root, f))).toEqual([join('lib', 'zod.ts')]);
  });

  it('only crypto/native.ts reaches a built-in module, at run time', () => {
    const users = files.filter((f) => readFileSync(f, 'utf8').includes('getBuiltinModule'));
    expect(users.map((f) => relative(root, f))).toEqual([join('crypto', 'native.ts')]);
  });
});
