/**
 * Bundles a module for workerd the way wrangler does (ESM, workerd/worker/browser conditions,
 * `node:*` left to `nodejs_compat`); `@chipid/sdk` resolves through the workspace to its TS sources.
 */
import { build } from 'esbuild';

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
