/**
 * Bundles a module for workerd the way wrangler does (ESM, workerd/worker/browser conditions,
 * `node:*` left to `nodejs_compat`); `@chipid/sdk` resolves through the workspace to its TS sources.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * `compatibility_date` and `compatibility_flags` of the repository's wrangler.toml, as Miniflare
 * options: one source for every place that runs code in workerd (the local stack, tests, benches).
 */
export function workerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml: no compatibility_date');
  return {
    compatibilityDate: date,
    compatibilityFlags: [...(flags ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
  };
}

/** The bundled ESM source of `entry` (an absolute path). */
export async function bundleForWorkerd(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    target: 'es2022',
    external: ['node:*', 'cloudflare:*'],
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0]?.text ?? '';
}
