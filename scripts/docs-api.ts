/**
 * Generates `docs/api.md` from the Worker's OpenAPI 3 document (`GET /openapi.json`, produced by
 * @hono/zod-openapi from the same zod schemas that validate requests): endpoints, parameters,
 * request bodies, responses, component schemas and the problem codes (RFC 9457).
 *
 *   npx tsx scripts/docs-api.ts           # write docs/api.md
 *   npx tsx scripts/docs-api.ts --check   # exit 1 when docs/api.md is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../functions/src/app.ts';
import { PROBLEMS, problemType } from '../functions/src/problems.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const API_DOC = join(ROOT, 'docs', 'api.md');

/** The SERVICE_URL the document is generated with (the local stack's). */
export const DOC_SERVICE_URL = 'http://127.0.0.1:8787';

/** JSON Schema subset the OpenAPI document uses. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  description?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  example?: unknown;
  default?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

interface MediaType {
  schema?: Schema;
}
interface Operation {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { required?: boolean; description?: string; content?: Record<string, MediaType> };
  responses: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}
/** The parts of an OpenAPI 3.0 document rendered here. */
export interface OpenAPIDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Schema>;
    securitySchemes?: Record<
      string,
      { type: string; scheme?: string; bearerFormat?: string; description?: string }
    >;
  };
}

/**
 * The OpenAPI document exactly as the Worker serves it at `/openapi.json` (the Hono app, in process).
 *
 * @example
 * const doc = await fetchOpenAPI(); doc.paths['/v1/verifications'];
 */
export async function fetchOpenAPI(): Promise<OpenAPIDocument> {
  const log = console.log;
  // The Worker writes one JSON log line per request; keep the generator's output clean.
  console.log = () => {};
  try {
    const res = await createApp().request('/openapi.json', {}, { SERVICE_URL: DOC_SERVICE_URL });
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return (await res.json()) as OpenAPIDocument;
  } finally {
    console.log = log;
  }
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (s: string) => `\`${s.replaceAll('`', "'")}\``;
const refName = (ref: string) => ref.replace('#/components/schemas/', '');
const anchor = (name: string) => `schema-${name.toLowerCase()}`;

/** A one-line type for a schema: `string (uri)`, `array of Check`, `"a" \| "b"`… */
export function typeOf(s: Schema | undefined): string {
  if (!s) return 'any';
  if (s.$ref) return `[${refName(s.$ref)}](#${anchor(refName(s.$ref))})`;
  if (s.enum) return s.enum.map((v) => code(JSON.stringify(v))).join(' \\| ');
  const alts = s.oneOf ?? s.anyOf;
  if (alts) return alts.map(typeOf).join(' \\| ');
  if (s.allOf) return s.allOf.map(typeOf).join(' & ');
  if (s.type === 'array') return `array of ${typeOf(s.items)}`;
  if (s.type === 'object' && !s.properties) {
    return s.additionalProperties &&
      typeof s.additionalProperties === 'object' &&
      !s.additionalProperties.nullable
      ? `map of ${typeOf(s.additionalProperties)}`
      : 'object';
  }
  const t = s.type ?? 'any';
  return `${t}${s.format ? ` (${s.format})` : ''}${s.nullable ? ' or null' : ''}`;
}

/** Constraints and notes of a schema as text. */
function notes(s: Schema): string {
  const n: string[] = [];
  if (s.description) n.push(s.description);
  if (s.minLength !== undefined || s.maxLength !== undefined)
    n.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '∞'}`);
  const arr = s.type === 'array' ? s : undefined;
  if (arr && (arr.minItems !== undefined || arr.maxItems !== undefined))
    n.push(`${arr.minItems ?? 0}–${arr.maxItems ?? '∞'} items`);
  if (s.minimum !== undefined || s.maximum !== undefined)
    n.push(`range ${s.minimum ?? '−∞'}–${s.maximum ?? '∞'}`);
  if (s.pattern) n.push(`pattern ${code(s.pattern)}`);
  const items = s.type === 'array' ? s.items : undefined;
  if (items?.pattern) n.push(`items match ${code(items.pattern)}`);
  if (items?.minLength !== undefined || items?.maxLength !== undefined)
    n.push(`items length ${items.minLength ?? 0}–${items.maxLength ?? '∞'}`);
  if (s.default !== undefined) n.push(`default ${code(JSON.stringify(s.default))}`);
  if (s.example !== undefined) n.push(`e.g. ${code(JSON.stringify(s.example))}`);
  return n.join('; ');
}

/** Property rows of an object schema, nested objects flattened with dotted names. */
function propertyRows(s: Schema, prefix = '', out: string[] = []): string[] {
  const required = new Set(s.required ?? []);
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    const full = `${prefix}${name}`;
    out.push(`| ${code(full)} | ${typeOf(p)} | ${required.has(name) ? 'yes' : 'no'} | ${cell(notes(p))} |`);
    if (p.type === 'object' && p.properties) propertyRows(p, `${full}.`, out);
    if (p.type === 'array' && p.items?.type === 'object' && p.items.properties)
      propertyRows(p.items, `${full}[].`, out);
  }
  return out;
}

/** Markdown for a schema: a property table for objects, else its type. */
export function renderSchema(s: Schema): string[] {
  if (s.$ref) return [`Schema: ${typeOf(s)}`];
  if (s.type === 'object' && s.properties) {
    const lines = ['| field | type | required | notes |', '|---|---|---|---|', ...propertyRows(s)];
    if (s.additionalProperties === false) lines.push('', 'No other fields are accepted.');
    return lines;
  }
  const n = notes(s);
  return [`Type: ${typeOf(s)}${n ? ` — ${n}` : ''}`];
}

const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete'];

function operations(doc: OpenAPIDocument): { method: string; path: string; op: Operation }[] {
  const out: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of METHOD_ORDER) {
      const op = item[method];
      if (op) out.push({ method, path, op });
    }
  return out;
}

function authOf(op: Operation, doc: OpenAPIDocument, path: string): string {
  const names = (op.security ?? []).flatMap((s) => Object.keys(s));
  if (names.length === 0)
    return path === '/v1/verifications'
      ? 'signed request JWS in the body (`request`, typ `chipid-request+jwt`)'
      : 'none (public)';
  return names
    .map((n) => {
      const sch = doc.components?.securitySchemes?.[n];
      return `${code(n)}${sch?.bearerFormat ? ` — Bearer ${sch.bearerFormat}` : sch?.scheme ? ` — ${sch.scheme}` : ''}`;
    })
    .join(', ');
}

const slug = (method: string, path: string) =>
  `${method}-${path}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Renders the API reference.
 *
 * @example
 * writeFileSync('docs/api.md', renderApiDoc(await fetchOpenAPI()));
 */
export function renderApiDoc(doc: OpenAPIDocument): string {
  const out: string[] = [];
  const ops = operations(doc);
  out.push(
    `# API reference — ${doc.info.title} ${doc.info.version}`,
    '',
    "<!-- Generated by scripts/docs-api.ts from the Worker's GET /openapi.json (OpenAPI",
    `     ${doc.openapi}). Do not edit by hand: run \`npx tsx scripts/docs-api.ts\`; a test fails when`,
    '     this file is stale. -->',
    '',
    "Base URL: the deployment's `SERVICE_URL` (local stack: `http://127.0.0.1:8787`). The machine-readable",
    'document is served at `GET /openapi.json`. Every error answer is an RFC 9457 problem',
    '(`application/problem+json`, see [Problems](#problems) and [errors.md](errors.md)); every answer',
    'carries `X-Request-Id`. The RP POSTs (`/v1/challenges`, `/v1/verifications`) and the client',
    'registration (`POST /admin/v1/clients`) accept an `Idempotency-Key` header (same key + same body →',
    "the same answer, marked `Idempotent-Replayed: true`, for 24 h — a verification's answer only while its request token can be resent, `exp` + 30 s; a different body → 409",
    '`ERR_IDEMPOTENCY_CONFLICT`): registering a client id that exists is otherwise 409 `ERR_CONFLICT`, so',
    'a registration retried without a key cannot tell its own success from a clash. The other admin writes',
    'are upserts — a retry has the same effect — and ignore the header. RP endpoints answer',
    '`RateLimit-Policy` / `RateLimit` headers and 429 `ERR_RATE_LIMITED` over the per-client limit.',
    '',
    '## Authentication',
    '',
    '| scheme | how |',
    '|---|---|',
  );
  for (const [name, s] of Object.entries(doc.components?.securitySchemes ?? {})) {
    const how =
      name === 'rpBearer'
        ? '`Authorization: Bearer <JWS>` signed with your registered key (ES256 or EdDSA), typ `chipid-auth+jwt`, claims `iss` (client id), `aud` (SERVICE_URL), `iat`, `exp` (≤ 60 s), `jti` (single use), `htm`, `htu`. The SDK client builds it.'
        : name === 'adminBearer'
          ? "`Authorization: Bearer <ADMIN_TOKEN>` — the operator's admin credential, never an RP key."
          : `${s.type}${s.scheme ? ` ${s.scheme}` : ''}`;
    out.push(`| ${code(name)} | ${cell(how)} |`);
  }
  out.push(
    '| request JWS | `POST /v1/verifications` carries its own authentication: the body field `request`, typ `chipid-request+jwt`, claims `iss`, `aud`, `iat`, `exp` (≤ 300 s), `jti`, `purpose`, `scope`, `chip_digest`, optional `challenge_id`. |',
    '',
    '## Endpoints',
    '',
    '| method | path | summary | auth |',
    '|---|---|---|---|',
  );
  for (const { method, path, op } of ops) {
    out.push(
      `| ${method.toUpperCase()} | [${code(path)}](#${slug(method, path)}) | ${cell(op.summary ?? '')} | ${cell(authOf(op, doc, path))} |`,
    );
  }
  for (const { method, path, op } of ops) {
    out.push('', `### ${method.toUpperCase()} ${path}`, '', `<a id="${slug(method, path)}"></a>`, '');
    if (op.summary) out.push(`${op.summary}.`, '');
    if (op.description) out.push(op.description, '');
    out.push(`Auth: ${authOf(op, doc, path)}.`, '');
    if (op.parameters?.length) {
      out.push('| parameter | in | type | required | notes |', '|---|---|---|---|---|');
      for (const p of op.parameters)
        out.push(
          `| ${code(p.name)} | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${cell([p.description, p.schema ? notes(p.schema) : ''].filter(Boolean).join('; '))} |`,
        );
      out.push('');
    }
    if (op.requestBody?.content) {
      for (const [type, media] of Object.entries(op.requestBody.content)) {
        out.push(`Request body (${code(type)}${op.requestBody.required ? ', required' : ''}):`, '');
        if (op.requestBody.description) out.push(op.requestBody.description, '');
        if (media.schema) out.push(...renderSchema(media.schema), '');
      }
    }
    out.push('| status | description | body |', '|---|---|---|');
    for (const [status, r] of Object.entries(op.responses)) {
      const bodies = Object.entries(r.content ?? {}).map(([type, m]) => `${code(type)} ${typeOf(m.schema)}`);
      out.push(`| ${status} | ${cell(r.description ?? '')} | ${bodies.join('<br>') || '—'} |`);
    }
    // Inline (non-$ref) response schemas of success answers are spelled out.
    for (const [status, r] of Object.entries(op.responses)) {
      if (!status.startsWith('2')) continue;
      for (const m of Object.values(r.content ?? {}))
        if (m.schema && !m.schema.$ref && m.schema.type === 'object' && m.schema.properties)
          out.push('', `Answer ${status}:`, '', ...renderSchema(m.schema));
    }
  }
  out.push('', '## Schemas');
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
    out.push('', `### ${name}`, '', `<a id="${anchor(name)}"></a>`, '');
    if (s.description) out.push(s.description, '');
    out.push(...renderSchema(s));
  }
  out.push(
    '',
    '## Problems',
    '',
    'Every problem code and its HTTP status (what to do for each: [errors.md](errors.md)).',
    '',
    '| code | status | title | type |',
    '|---|---|---|---|',
  );
  for (const [c, p] of Object.entries(PROBLEMS))
    out.push(`| ${code(c)} | ${p.status} | ${cell(p.title)} | ${problemType(c as keyof typeof PROBLEMS)} |`);
  out.push('');
  return out.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const text = renderApiDoc(await fetchOpenAPI());
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(API_DOC, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error('docs/api.md is stale: run npx tsx scripts/docs-api.ts');
      return 1;
    }
    console.log('docs/api.md is up to date');
    return 0;
  }
  writeFileSync(API_DOC, text);
  console.log('wrote docs/api.md');
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((c) => {
    process.exitCode = c;
  });
}
