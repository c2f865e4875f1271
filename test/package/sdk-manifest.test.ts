/**
 * Supply chain (issue 19 item 7): `@chipid/sdk` needs no TypeScript loader at run time. Its manifest
 * lists none among its dependencies (tsx, which runs the CLI from sources inside this repository, is a
 * devDependency), and the pack script refuses a manifest that would. The packed package itself is
 * installed and run without tsx in `sdk-package.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TS_LOADERS } from '../../scripts/pack-sdk.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'sdk', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  bin: Record<string, string>;
};

describe('@chipid/sdk manifest', () => {
  it('no TypeScript loader among its run-time dependencies; tsx is a devDependency', () => {
    expect(TS_LOADERS.has('tsx')).toBe(true);
    expect(Object.keys(manifest.dependencies).filter((d) => TS_LOADERS.has(d))).toEqual([]);
    expect(manifest.devDependencies?.tsx).toBeDefined();
  });

  it('its CLI runs the built code when present and reaches for tsx only without it (sources in this repository)', () => {
    const bin = readFileSync(join(ROOT, 'sdk', manifest.bin.chipid!), 'utf8');
    const built = bin.indexOf("'dist', 'cli', 'main.js'");
    const loader = bin.indexOf("import('tsx/esm/api')");
    expect(built).toBeGreaterThan(0);
    expect(loader).toBeGreaterThan(built);
    expect(bin).toMatch(
      /if \(existsSync\(built\)\) \{\s*mod = await import\(pathToFileURL\(built\)\.href\);\s*\} else \{/,
    );
  });
});
