#!/usr/bin/env node
// `chipid` CLI entry. Runs the built CLI when present, else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, '..', 'dist', 'cli', 'main.js');
let mod;
if (existsSync(built)) {
  mod = await import(pathToFileURL(built).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  mod = await tsImport(pathToFileURL(join(here, '..', 'src', 'cli', 'main.ts')).href, import.meta.url);
}
process.exitCode = await mod.main(process.argv.slice(2));
