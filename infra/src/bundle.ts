/**
 * Bundles a module for workerd the way wrangler does (ESM, workerd/worker/browser conditions,
 * `node:*` left to `nodejs_compat`); `@chipid/sdk` resolves through the workspace to its TS sources.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
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

/** A WebAssembly module the bundle imports: its module name in the bundle and its file. */
export interface WasmModule {
  name: string;
  file: string;
}

/** A Worker bundle: the ESM script and the WebAssembly modules it imports. */
export interface WorkerBundle {
  script: string;
  wasm: WasmModule[];
}

/**
 * Imports that are WebAssembly binaries, as wrangler.toml's `CompiledWasm` rules name them: `*.wasm`,
 * and package subpaths exporting one (OpenJPEG's decoder, `…/codec-openjpeg/decodewasm`).
 */
const WASM_IMPORT = /(\.wasm|\/codec-openjpeg\/decodewasm)$/;

/**
 * Bundles `entry` (an absolute path) for workerd like wrangler does, WebAssembly imports left as
 * separate modules — workerd compiles them when it loads the Worker; a Worker may not compile
 * WebAssembly from bytes at run time.
 */
export async function bundleWorker(entry: string): Promise<WorkerBundle> {
  const wasm = new Map<string, WasmModule>();
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    target: 'es2022',
    external: ['node:*', 'cloudflare:*'],
    // What nodejs_compat serves under the bare names (Emscripten loaders name them; never called here).
    alias: { fs: 'node:fs', path: 'node:path' },
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'wasm-modules',
        setup(b) {
          b.onResolve({ filter: WASM_IMPORT }, async (args) => {
            if (args.pluginData?.wasm) return undefined;
            const res = await b.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: { wasm: true },
            });
            if (res.errors.length > 0) return { errors: res.errors };
            const name = `${basename(res.path).replace(/\.wasm$/, '')}.wasm`;
            wasm.set(name, { name, file: res.path });
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  return { script: r.outputFiles[0]?.text ?? '', wasm: [...wasm.values()] };
}

/**
 * Miniflare's `modules` for a bundle: the script and its WebAssembly modules side by side.
 *
 * @example
 * new Miniflare({ modules: miniflareModules(await bundleWorker(entry)), ... });
 */
export function miniflareModules(
  b: WorkerBundle,
): (
  | { type: 'ESModule'; path: string; contents: string }
  | { type: 'CompiledWasm'; path: string; contents: Uint8Array }
)[] {
  return [
    { type: 'ESModule', path: 'worker.mjs', contents: b.script },
    ...b.wasm.map((w) => ({ type: 'CompiledWasm' as const, path: w.name, contents: readFileSync(w.file) })),
  ];
}

/** The bundled ESM source of `entry` (an absolute path), for code that imports no WebAssembly. */
export async function bundleForWorkerd(entry: string): Promise<string> {
  const b = await bundleWorker(entry);
  if (b.wasm.length > 0) throw new Error('bundleForWorkerd: the entry imports WebAssembly; use bundleWorker');
  return b.script;
}
