/**
 * The part of zod the SDK uses, for `import * as z from '../lib/zod.ts'`. Importing zod's own `z`
 * namespace object keeps all of zod in a bundle — every locale included (≈ 440 KB minified); named
 * members let bundlers drop the rest (≈ 83 KB). Measured with esbuild, platform browser, minified.
 */

export type { infer, ZodString, ZodType } from 'zod';
export {
  array,
  boolean,
  enum,
  literal,
  looseObject,
  number,
  object,
  record,
  string,
  union,
  unknown,
} from 'zod';
