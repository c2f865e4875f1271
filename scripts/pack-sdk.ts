/**
 * Builds the publishable `@chipid/sdk` package: plain ES modules and type declarations, no TypeScript
 * loader needed by whoever installs it (Node ≥ 20, bundlers for browsers / React Native, workerd).
 *
 * In this repository the SDK's `exports` point at its TypeScript sources (the Worker, tests and examples
 * compile them directly). The package is staged apart — `sdk/.pack/` by default: `dist/` (tsc with
 * `rewriteRelativeImportExtensions`), `bin/chipid.mjs` (which runs `dist/cli/main.js` when present), a
 * package.json whose `exports` name the built files, README and LICENSE — and packed with `npm pack`.
 *
 *   npx tsx scripts/pack-sdk.ts [--out <dir>] [--tarball-dir <dir>]
 *
 * Prints one JSON line: { dir, tarball, files, packedBytes, unpackedBytes }.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SDK = join(ROOT, 'sdk');

interface SdkManifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  exports: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** `./src/x/y.ts` → the built module and its declarations. */
function builtEntry(src: string): string | { types: string; default: string } {
  if (!src.startsWith('./src/') || !src.endsWith('.ts')) return src;
  const base = `./dist/${src.slice('./src/'.length, -'.ts'.length)}`;
  return { types: `${base}.d.ts`, default: `${base}.js` };
}

/** Declarations keep the sources' `./x.ts` specifiers; installed, they must name `./x.js`. */
function rewriteDeclarations(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      rewriteDeclarations(p);
    } else if (name.endsWith('.d.ts')) {
      const text = readFileSync(p, 'utf8');
      const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
      if (out !== text) writeFileSync(p, out);
    }
  }
}

/** TypeScript loaders and compilers: development tools, never a run-time dependency of the package. */
export const TS_LOADERS: ReadonlySet<string> = new Set([
  'tsx',
  'ts-node',
  'esbuild',
  'typescript',
  '@swc/core',
  '@swc-node/register',
  '@esbuild-kit/esm-loader',
]);

export interface PackResult {
  dir: string;
  tarball: string;
  files: number;
  packedBytes: number;
  unpackedBytes: number;
}

export function packSdk(o: { out?: string; tarballDir?: string } = {}): PackResult {
  const out = resolve(o.out ?? join(SDK, '.pack'));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(SDK, 'tsconfig.build.json'),
      '--outDir',
      join(out, 'dist'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  rewriteDeclarations(join(out, 'dist'));
  cpSync(join(SDK, 'bin'), join(out, 'bin'), { recursive: true });
  for (const f of ['README.md', 'LICENSE']) {
    const from = existsSync(join(SDK, f)) ? join(SDK, f) : join(ROOT, f);
    if (existsSync(from)) cpSync(from, join(out, f));
  }

  // tsx (a devDependency) only runs the CLI from sources in this repository; the package runs the
  // built CLI and needs no TypeScript loader: a run-time dependency on one is refused here.
  const { devDependencies: _dev, ...src } = JSON.parse(
    readFileSync(join(SDK, 'package.json'), 'utf8'),
  ) as SdkManifest & { devDependencies?: Record<string, string> };
  const loaders = Object.keys(src.dependencies ?? {}).filter((d) => TS_LOADERS.has(d));
  if (loaders.length)
    throw new Error(`sdk/package.json: ${loaders.join(', ')} must not be a run-time dependency`);
  const manifest = {
    ...src,
    exports: Object.fromEntries(Object.entries(src.exports).map(([k, v]) => [k, builtEntry(v)])),
    dependencies: src.dependencies ?? {},
    files: ['dist', 'bin', 'README.md', 'LICENSE'],
    engines: { node: '>=20' },
  };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const tarballDir = resolve(o.tarballDir ?? out);
  mkdirSync(tarballDir, { recursive: true });
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', out, '--json', '--pack-destination', tarballDir], {
      cwd: out,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
  if (!info) throw new Error('npm pack printed nothing');
  return {
    dir: out,
    tarball: join(tarballDir, info.filename),
    files: info.entryCount,
    packedBytes: info.size,
    unpackedBytes: info.unpackedSize,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'tarball-dir': { type: 'string' } } });
  const r = packSdk({
    ...(values.out ? { out: values.out } : {}),
    ...(values['tarball-dir'] ? { tarballDir: values['tarball-dir'] } : {}),
  });
  process.stdout.write(`${JSON.stringify({ ...r, dir: relative(process.cwd(), r.dir) || '.' })}\n`);
}
