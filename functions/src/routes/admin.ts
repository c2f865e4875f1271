/**
 * Admin API (`Authorization: Bearer <ADMIN_TOKEN>`, never an RP key): RP clients (register, rotate
 * keys, change scope, disable), trust anchors per environment (CSCA certificates and CRLs, Doc 9303
 * Part 12), and the registry (JSONL import with per-line errors; single-record status updates).
 * Changes are effective on the next request: every RP request reads its client back with its rate count
 * (store/clients.ts) and the trust cache is versioned (store/trust.ts).
 */

import { parseCertificate, parseCRL } from '@chipid/sdk';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { envOfClientId } from '../env.ts';
import { fromB64 } from '../lib/crypto.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import {
  answerStored,
  idempotencyKeyOf,
  recordSeal,
  requestFingerprint,
  StoredAnswer,
  sealedRecord,
} from '../middleware/idempotency.ts';
import { ApiError } from '../problems.ts';
import {
  ClientCreateSchema,
  ClientIdSchema,
  ClientPatchSchema,
  ClientViewSchema,
  EnvParamSchema,
  problemResponses,
} from '../schemas.ts';
import {
  type ClientKey,
  type ClientRecord,
  getClient,
  listClients,
  MAX_CLIENT_PAGE,
  putClient,
  rateShards,
} from '../store/clients.ts';
import { isConditionFailed, storeFor } from '../store/db.ts';
import { type RegistryWrite, registryKey, setRegistryStatus, upsertRegistry } from '../store/registry.ts';
import { getIdempotency, idempotencyPut } from '../store/requests.ts';
import { addTrust, removeTrust, type TrustEntry, trustEntries } from '../store/trust.ts';
import { newApp } from '../validation.ts';
import { registerMasterListRoutes } from './masterlists.ts';
import { parseRegistryLine } from './registry-lines.ts';

function view(r: ClientRecord) {
  return {
    clientId: r.clientId,
    name: r.name,
    status: r.status,
    scope: r.scope,
    keys: r.keys.map((k) => ({ kid: k.kid, status: k.status })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: r.rateLimitPerMinute } : {}),
  };
}

/**
 * The copies a client item is kept in for its own quota (`clients.ts#rateShards`); one for a client on
 * the service default (`RATE_LIMIT_PER_MINUTE` may be set high to switch limits off, and every client
 * would then be written many times over): a large client gets its own quota.
 */
function withShards(r: ClientRecord): ClientRecord {
  const shards = r.rateLimitPerMinute === undefined ? 1 : rateShards(r.rateLimitPerMinute);
  const { shards: _old, ...rest } = r;
  return shards > 1 ? { ...rest, shards } : rest;
}

type JwkIn = z.infer<typeof ClientCreateSchema>['jwks']['keys'][number];

function toKeys(jwks: JwkIn[]): ClientKey[] {
  const seen = new Set<string>();
  return jwks.map((k) => {
    if (seen.has(k.kid))
      throw new ApiError('ERR_VALIDATION', 'duplicate kid', {
        errors: [{ pointer: '/jwks/keys', detail: 'kid values must be unique' }],
      });
    seen.add(k.kid);
    const okEc =
      k.kty === 'EC' && k.crv === 'P-256' && typeof k.y === 'string' && (k.alg ?? 'ES256') === 'ES256';
    const okEd =
      k.kty === 'OKP' && k.crv === 'Ed25519' && k.y === undefined && (k.alg ?? 'EdDSA') === 'EdDSA';
    if (!okEc && !okEd) {
      throw new ApiError('ERR_VALIDATION', 'unsupported key', {
        errors: [
          {
            pointer: '/jwks/keys',
            detail: 'keys must be EC P-256 (ES256) or OKP Ed25519 (EdDSA) public keys',
          },
        ],
      });
    }
    const { status, ...jwk } = k;
    return { kid: k.kid, status: status ?? 'active', jwk: jwk as ClientKey['jwk'] };
  });
}

function clientStore(c: Context<AppEnv>, clientId: string) {
  const which = envOfClientId(clientId);
  if (!which) throw new ApiError('ERR_VALIDATION', 'client id must start with sandbox_ or live_');
  return storeFor(c.env, which);
}

const ClientParam = z.object({ clientId: ClientIdSchema });
const EnvParam = z.object({ env: EnvParamSchema });
const TrustIdParam = z.object({
  env: EnvParamSchema,
  id: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex id'),
});
const TrustBody = z
  .object({ pem: z.string().max(200_000).optional(), der: z.string().max(400_000).optional() })
  .strict()
  .refine((b) => (b.pem === undefined) !== (b.der === undefined), 'exactly one of pem or der');
const StatusBody = (values: [string, ...string[]]) => z.object({ status: z.enum(values) }).strict();

function decodeTrust(
  body: { pem?: string | undefined; der?: string | undefined },
  label: 'CERTIFICATE' | 'X509 CRL',
): Uint8Array {
  let der: Uint8Array | undefined;
  if (body.pem !== undefined) {
    const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(body.pem);
    der = m?.[1] ? fromB64(m[1]) : undefined;
  } else if (body.der !== undefined) {
    der = fromB64(body.der);
  }
  let parses = false;
  if (der) {
    try {
      if (label === 'CERTIFICATE') parseCertificate(der);
      else parseCRL(der);
      parses = true;
    } catch {
      parses = false;
    }
  }
  if (!der || !parses) {
    throw new ApiError('ERR_VALIDATION', `not a DER/PEM ${label.toLowerCase()}`, {
      errors: [
        {
          pointer: body.pem !== undefined ? '/pem' : '/der',
          detail: `expected a ${label} in PEM or base64 DER`,
        },
      ],
    });
  }
  return der;
}

const security = [{ adminBearer: [] }];
/** Whose `Idempotency-Key`s admin registrations are remembered under (client ids are `sandbox_…` / `live_…`). */
const ADMIN_PRINCIPAL = 'admin';

const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

export const adminRoutes = newApp();
adminRoutes.use('/admin/*', adminAuth);

const ClientListQuery = z
  .object({
    env: EnvParamSchema.openapi({ param: { description: "Which environment's clients" } }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_CLIENT_PAGE)
      .default(50)
      .openapi({ param: { description: 'Page size' } }),
    after: ClientIdSchema.optional().openapi({
      param: { description: "List the clients after this client id: the previous page's `next`" },
    }),
  })
  .strict();
const ClientListSchema = z
  .object({
    items: z.array(ClientViewSchema),
    next: z.string().optional().openapi({ description: 'More may follow: pass it as `after`' }),
  })
  .openapi('ClientList');

adminRoutes
  .openapi(
    createRoute({
      method: 'get',
      path: '/admin/v1/clients',
      summary: 'List the RP clients of an environment, in client-id order',
      security,
      request: { query: ClientListQuery },
      responses: {
        200: {
          description: 'One page of clients',
          content: { 'application/json': { schema: ClientListSchema } },
        },
        ...problemResponses(400, 401, 503),
      },
    }),
    async (c) => {
      const { env, limit, after } = c.req.valid('query');
      if (after !== undefined && envOfClientId(after) !== env) {
        throw new ApiError('ERR_VALIDATION', `after must be a ${env} client id`, {
          errors: [{ pointer: '/after', detail: `expected ${env}_…` }],
        });
      }
      const page = await listClients(storeFor(c.env, env), limit, after);
      return c.json({ items: page.records.map(view), ...(page.next ? { next: page.next } : {}) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/admin/v1/clients',
      summary: 'Register an RP client',
      security,
      request: jsonBody(ClientCreateSchema),
      responses: {
        201: { description: 'Registered', content: { 'application/json': { schema: ClientViewSchema } } },
        ...problemResponses(400, 401, 409, 503),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const s = clientStore(c, b.clientId);
      // A retry of a registration that landed (same key, same body) gets its answer again instead of 409.
      const key = idempotencyKeyOf(c);
      const text = key === undefined ? '' : await c.req.text();
      const fingerprint = key === undefined ? '' : await requestFingerprint(c, text);
      const seal =
        key === undefined ? undefined : await recordSeal(c.env, s, ADMIN_PRINCIPAL, key, fingerprint, text);
      const remembered = async () => {
        const stored = key === undefined ? undefined : await getIdempotency(s, ADMIN_PRINCIPAL, key);
        if (stored && seal) throw new StoredAnswer(await answerStored(stored, fingerprint, seal));
      };
      await remembered();
      const now = new Date().toISOString();
      const rec: ClientRecord = {
        clientId: b.clientId,
        name: b.name,
        status: 'active',
        scope: b.scope,
        keys: toKeys(b.jwks.keys),
        createdAt: now,
        updatedAt: now,
        ...(b.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: b.rateLimitPerMinute } : {}),
      };
      const answer = view(rec);
      const remember =
        key === undefined || !seal
          ? []
          : [idempotencyPut(s, ADMIN_PRINCIPAL, key, await sealedRecord(seal, fingerprint, 201, answer))];
      try {
        await putClient(s, withShards(rec), 'create', remember);
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        await remembered(); // a concurrent request with this key won: its answer (or 409 for another body)
        throw new ApiError('ERR_CONFLICT', 'client already registered');
      }
      return c.json(answer, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/admin/v1/clients/{clientId}',
      summary: 'Read an RP client',
      security,
      request: { params: ClientParam },
      responses: {
        200: { description: 'Client', content: { 'application/json': { schema: ClientViewSchema } } },
        ...problemResponses(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const { clientId } = c.req.valid('param');
      const rec = await getClient(clientStore(c, clientId), clientId);
      if (!rec) throw new ApiError('ERR_NOT_FOUND', 'no such client');
      return c.json(view(rec), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/admin/v1/clients/{clientId}',
      summary: 'Rotate keys, change scope or quota, disable or enable an RP client',
      security,
      request: { params: ClientParam, ...jsonBody(ClientPatchSchema) },
      responses: {
        200: { description: 'Updated', content: { 'application/json': { schema: ClientViewSchema } } },
        ...problemResponses(400, 401, 404, 409, 503),
      },
    }),
    async (c) => {
      const { clientId } = c.req.valid('param');
      const b = c.req.valid('json');
      const s = clientStore(c, clientId);
      const rec = await getClient(s, clientId);
      if (!rec) throw new ApiError('ERR_NOT_FOUND', 'no such client');
      const next: ClientRecord = {
        ...rec,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.status !== undefined ? { status: b.status } : {}),
        ...(b.scope !== undefined ? { scope: b.scope } : {}),
        ...(b.jwks !== undefined ? { keys: toKeys(b.jwks.keys) } : {}),
        ...(b.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: b.rateLimitPerMinute } : {}),
        updatedAt: new Date().toISOString(),
      };
      try {
        await putClient(s, withShards(next), 'replace', [], rec.shards ?? 1);
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        if (await getClient(s, clientId)) {
          throw new ApiError('ERR_CONFLICT', 'the client was changed concurrently; read it and retry');
        }
        throw new ApiError('ERR_NOT_FOUND', 'no such client');
      }
      return c.json(view(next), 200);
    },
  );

const CscaViewSchema = z
  .object({
    id: z.string().openapi({ description: 'SHA-256 of the DER (hex): the id to remove it by' }),
    subject: z.string(),
    country: z.string().optional(),
    notBefore: z.string(),
    notAfter: z.string(),
    addedAt: z.string().optional(),
  })
  .openapi('TrustCsca');
const CrlViewSchema = z
  .object({
    id: z.string().openapi({ description: 'SHA-256 of the DER (hex): the id to remove it by' }),
    issuer: z.string(),
    thisUpdate: z.string(),
    nextUpdate: z.string().optional(),
    revoked: z.number().int().openapi({ description: 'Revoked certificates listed' }),
    addedAt: z.string().optional(),
  })
  .openapi('TrustCrl');

/** What an operator needs to recognise a stored anchor (the DER was checked when it was added). */
function trustView(e: TrustEntry) {
  const addedAt = e.addedAt ? { addedAt: e.addedAt } : {};
  if (e.kind === 'csca') {
    const cert = parseCertificate(e.der);
    return {
      id: e.id,
      subject: cert.subject.text,
      ...(cert.subject.country ? { country: cert.subject.country } : {}),
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      ...addedAt,
    };
  }
  const crl = parseCRL(e.der);
  return {
    id: e.id,
    issuer: crl.issuer.text,
    thisUpdate: crl.thisUpdate.toISOString(),
    ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.toISOString() } : {}),
    revoked: crl.revoked.size,
    ...addedAt,
  };
}

for (const kind of ['csca', 'crl'] as const) {
  const plural = `${kind}s`;
  adminRoutes
    .openapi(
      createRoute({
        method: 'get',
        path: `/admin/v1/trust/{env}/${plural}`,
        summary:
          kind === 'csca' ? 'List the CSCA certificates of a trust store' : 'List the CRLs of a trust store',
        security,
        request: { params: EnvParam },
        responses: {
          200: {
            description: 'The stored anchors, by id',
            content: {
              'application/json': {
                schema: z.object({ items: z.array(kind === 'csca' ? CscaViewSchema : CrlViewSchema) }),
              },
            },
          },
          ...problemResponses(400, 401, 503),
        },
      }),
      async (c) => {
        const { env } = c.req.valid('param');
        const entries = (await trustEntries(storeFor(c.env, env))).filter((e) => e.kind === kind);
        return c.json({ items: entries.map(trustView) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: `/admin/v1/trust/{env}/${plural}`,
        summary: kind === 'csca' ? 'Add a CSCA certificate to a trust store' : 'Add a CRL to a trust store',
        security,
        request: { params: EnvParam, ...jsonBody(TrustBody) },
        responses: {
          201: {
            description: 'Added',
            content: { 'application/json': { schema: z.object({ id: z.string() }) } },
          },
          ...problemResponses(400, 401, 503),
        },
      }),
      async (c) => {
        const { env } = c.req.valid('param');
        const der = decodeTrust(c.req.valid('json'), kind === 'csca' ? 'CERTIFICATE' : 'X509 CRL');
        const id = await addTrust(storeFor(c.env, env), kind, der);
        return c.json({ id }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: `/admin/v1/trust/{env}/${plural}/{id}`,
        summary: kind === 'csca' ? 'Remove a CSCA certificate' : 'Remove a CRL',
        security,
        request: { params: TrustIdParam },
        responses: { 204: { description: 'Removed' }, ...problemResponses(400, 401, 404, 503) },
      }),
      async (c) => {
        const { env, id } = c.req.valid('param');
        if (!(await removeTrust(storeFor(c.env, env), kind, id)))
          throw new ApiError('ERR_NOT_FOUND', `no such ${kind}`);
        return c.body(null, 204);
      },
    );
}

registerMasterListRoutes(adminRoutes);

const ImportResultSchema = z
  .object({
    imported: z.number().int(),
    failed: z.array(z.object({ line: z.number().int(), code: z.string(), detail: z.string() })),
  })
  .openapi('RegistryImportResult');

adminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/admin/v1/registry/{env}/import',
    summary: 'Import registry records (JSONL: one citizen or card per line; idempotent upserts)',
    security,
    request: {
      params: EnvParam,
      body: { content: { 'application/x-ndjson': { schema: z.string() } }, required: true },
    },
    responses: {
      200: { description: 'Import report', content: { 'application/json': { schema: ImportResultSchema } } },
      ...problemResponses(400, 401, 413, 503),
    },
  }),
  async (c) => {
    const { env } = c.req.valid('param');
    const secret = c.env.REGISTRY_HMAC_KEY;
    if (!secret) throw new ApiError('ERR_INTERNAL', 'registry key not configured');
    const text = await c.req.text();
    const writes: RegistryWrite[] = [];
    const failed: { line: number; code: string; detail: string }[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]?.trim() ?? '';
      if (raw === '') continue;
      const r = await parseRegistryLine(raw, secret);
      if (r.ok) writes.push(r.write);
      else failed.push({ line: i + 1, code: r.code, detail: r.detail });
    }
    const imported = writes.length ? await upsertRegistry(storeFor(c.env, env), writes) : 0;
    return c.json({ imported, failed }, 200);
  },
);

for (const kind of ['card', 'citizen'] as const) {
  const param = kind === 'card' ? 'documentNumber' : 'idNumber';
  adminRoutes.openapi(
    createRoute({
      method: 'patch',
      path: `/admin/v1/registry/{env}/${kind}s/{${param}}`,
      summary: kind === 'card' ? 'Set a card status' : 'Set a citizen status',
      security,
      request: {
        params: z.object({
          env: EnvParamSchema,
          [param]: kind === 'card' ? z.string().regex(/^[A-Z0-9]{6,12}$/) : z.string().regex(/^\d{12}$/),
        }),
        ...jsonBody(
          kind === 'card'
            ? StatusBody(['active', 'revoked', 'lost', 'replaced'])
            : StatusBody(['alive', 'deceased']),
        ),
      },
      responses: {
        200: {
          description: 'Updated',
          content: { 'application/json': { schema: z.object({ status: z.string() }) } },
        },
        ...problemResponses(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const params = c.req.valid('param') as Record<string, string>;
      const { status } = c.req.valid('json') as { status: string };
      const secret = c.env.REGISTRY_HMAC_KEY;
      if (!secret) throw new ApiError('ERR_INTERNAL', 'registry key not configured');
      const key = await registryKey(secret, params[param] ?? '');
      const ok = await setRegistryStatus(
        storeFor(c.env, params.env as 'sandbox' | 'live'),
        kind,
        key,
        status,
      );
      if (!ok) throw new ApiError('ERR_NOT_FOUND', `no such ${kind}`);
      return c.json({ status }, 200);
    },
  );
}
