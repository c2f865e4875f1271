/**
 * Admin: import an ICAO CSCA master list (Doc 9303 Part 12 §9) into an environment's trust store.
 * The list is verified on load (`verifyMasterList`: content type, signature, the Master List Signer
 * issued by a root configured for that environment — `MASTERLIST_ROOTS_SANDBOX` / `MASTERLIST_ROOTS_LIVE`,
 * PEM — validity, key usage); a list that fails changes nothing. Then, per country, its CSCAs are added
 * (`mode: add`) or replace that country's stored CSCAs (`mode: replace`), alongside the single-CSCA
 * path and CRLs (store/trust.ts: one item per certificate).
 */
import {
  type Certificate,
  MASTER_LIST_CODES,
  type MasterListReport,
  parseCertificate,
  readCertificates,
  verifyMasterList,
} from '@chipid/sdk';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import type { Bindings, Environment } from '../env.ts';
import { fromB64, hex, sha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import { EnvParamSchema, problemResponses } from '../schemas.ts';
import { storeFor } from '../store/db.ts';
import { type CscaWrite, trustEntries, writeCscas } from '../store/trust.ts';

/** Largest master-list body (JSON with the list in base64): Germany's 588-CSCA list is 1.2 MB so. */
export const MAX_MASTERLIST_BYTES = 16 * 1024 * 1024;

const COUNTRY = z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166 alpha-2 code');

const MasterListBody = z
  .object({
    der: z
      .string()
      .max(MAX_MASTERLIST_BYTES)
      .optional()
      .openapi({ description: 'The master list (`.ml` file, DER CMS SignedData), standard base64' }),
    pem: z
      .string()
      .max(MAX_MASTERLIST_BYTES)
      .optional()
      .openapi({ description: 'The master list as PEM (`-----BEGIN CMS-----`)' }),
    countries: z.array(COUNTRY).min(1).max(300).optional().openapi({
      description:
        'Import only the CSCAs of these countries (ISO 3166 alpha-2, e.g. `["VN"]`); default: every country in the list. Each must have a CSCA in the list.',
    }),
    mode: z.enum(['add', 'replace']).default('add').openapi({
      description:
        "`add`: add the list's CSCAs of each country (kept ones stay). `replace`: each country's stored CSCAs become exactly the list's (others of that country are removed; other countries untouched).",
    }),
  })
  .strict()
  .refine((b) => (b.pem === undefined) !== (b.der === undefined), 'exactly one of pem or der')
  .openapi('MasterListImport');

const CountryChangeSchema = z.object({
  added: z.number().int().openapi({ description: 'CSCAs stored now that were not before' }),
  kept: z.number().int().openapi({ description: 'CSCAs of the list already stored' }),
  removed: z.number().int().openapi({ description: 'Stored CSCAs removed (`mode: replace` only)' }),
});

const MasterListResultSchema = z
  .object({
    signer: z.string().openapi({ description: 'The Master List Signer (subject)' }),
    root: z.string().openapi({ description: 'The configured root that issued the signer (subject)' }),
    issued: z.string().optional().openapi({ description: 'The list signing time, when present' }),
    cscas: z.number().int().openapi({ description: 'CSCA certificates in the list' }),
    mode: z.enum(['add', 'replace']),
    added: z.number().int(),
    kept: z.number().int(),
    removed: z.number().int(),
    countries: z.record(z.string(), CountryChangeSchema).openapi({ description: 'Changes per country' }),
  })
  .openapi('MasterListImportResult');

/** The configured master-list roots of an environment (PEM binding), or a 500 naming the binding. */
export function masterListRoots(env: Bindings, which: Environment): Certificate[] {
  const name = which === 'live' ? 'MASTERLIST_ROOTS_LIVE' : 'MASTERLIST_ROOTS_SANDBOX';
  const pem = env[name];
  if (!pem) throw new ApiError('ERR_INTERNAL', `no master-list root configured (${name})`);
  try {
    return readCertificates(pem);
  } catch (cause) {
    throw new ApiError('ERR_INTERNAL', `${name} is not PEM certificates`, { cause });
  }
}

function refused(report: MasterListReport, pointer: string): ApiError {
  const failed = report.checks.filter((c) => !c.ok);
  return new ApiError('ERR_VALIDATION', 'the master list does not verify against the configured root', {
    errors: failed.map((c) => ({
      pointer,
      detail: `${c.name}: ${c.code ?? 'failed'}${c.code ? ` — ${MASTER_LIST_CODES[c.code]}` : ''}`,
    })),
  });
}

/**
 * Registers `POST /admin/v1/trust/{env}/masterlists` on the admin app (its `adminAuth` applies).
 *
 * @example
 * registerMasterListRoutes(adminRoutes);
 */
export function registerMasterListRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/v1/trust/{env}/masterlists',
      summary: "Import an ICAO CSCA master list into a trust store (verified against the environment's root)",
      description:
        'The list (Doc 9303 Part 12 §9) must verify against a root configured for the environment (`MASTERLIST_ROOTS_SANDBOX` / `MASTERLIST_ROOTS_LIVE`, see docs/deployment.md): content type, signature, Master List Signer issued by the root, validity, key usage. A list that fails changes nothing (400 with one `errors[]` entry per failed check). Its CSCAs are then stored one item each (ids as in `GET …/cscas`), per country added or replacing.',
      security: [{ adminBearer: [] }],
      request: {
        params: z.object({ env: EnvParamSchema }),
        body: { content: { 'application/json': { schema: MasterListBody } }, required: true },
      },
      responses: {
        200: {
          description: 'Imported',
          content: { 'application/json': { schema: MasterListResultSchema } },
        },
        ...problemResponses(400, 401, 413, 503),
      },
    }),
    async (c) => {
      const { env } = c.req.valid('param');
      const body = c.req.valid('json');
      const roots = masterListRoots(c.env, env);
      const pointer = body.der !== undefined ? '/der' : '/pem';
      const input = body.der !== undefined ? fromB64(body.der) : (body.pem ?? '');
      if (input === undefined)
        throw new ApiError('ERR_VALIDATION', 'not base64', {
          errors: [{ pointer, detail: 'expected the master list in standard base64' }],
        });
      const report = await verifyMasterList(input, { roots });
      if (!report.valid) throw refused(report, pointer);

      const wanted = body.countries?.map((x) => x.toUpperCase());
      const listed = new Map<string, Certificate[]>();
      for (const cert of report.cscas) {
        const country = cert.subject.country ?? '';
        if (wanted && !wanted.includes(country)) continue;
        listed.set(country, [...(listed.get(country) ?? []), cert]);
      }
      const absent = (wanted ?? []).filter((x) => !listed.has(x));
      if (absent.length)
        throw new ApiError('ERR_VALIDATION', 'the master list holds no CSCA of a requested country', {
          errors: absent.map((x) => ({ pointer: '/countries', detail: `no CSCA of ${x} in the list` })),
        });

      const s = storeFor(c.env, env);
      const stored = (await trustEntries(s)).filter((e) => e.kind === 'csca');
      const storedIds = new Set(stored.map((e) => e.id));
      const put: CscaWrite[] = [];
      const inList = new Set<string>();
      const changes: Record<string, { added: number; kept: number; removed: number }> = {};
      for (const [country, certs] of listed) {
        const ch = { added: 0, kept: 0, removed: 0 };
        changes[country] = ch;
        for (const cert of certs) {
          const id = hex(await sha256(cert.raw));
          if (inList.has(id)) continue; // a list may repeat a certificate
          inList.add(id);
          if (storedIds.has(id)) ch.kept++;
          else {
            ch.added++;
            put.push({ id, der: cert.raw, country: cert.subject.country });
          }
        }
      }
      const remove: string[] = [];
      if (body.mode === 'replace') {
        for (const e of stored) {
          if (inList.has(e.id)) continue;
          let country: string | undefined;
          try {
            country = parseCertificate(e.der).subject.country;
          } catch {
            continue; // unreadable items are the single-CSCA path's business
          }
          const ch = country !== undefined ? changes[country] : undefined;
          if (!ch) continue; // a country this import does not touch
          ch.removed++;
          remove.push(e.id);
        }
      }
      const ml = report.masterList!;
      const listId = hex(await sha256(ml.raw)).slice(0, 16);
      if (put.length || remove.length) await writeCscas(s, put, remove, `masterlist:${listId}`);
      const sum = (k: 'added' | 'kept' | 'removed') => Object.values(changes).reduce((n, ch) => n + ch[k], 0);
      return c.json(
        {
          signer: report.signer!.subject.text,
          root: report.root!.subject.text,
          ...(ml.signingTime ? { issued: ml.signingTime.toISOString() } : {}),
          cscas: ml.cscas.length,
          mode: body.mode,
          added: sum('added'),
          kept: sum('kept'),
          removed: sum('removed'),
          countries: changes,
        },
        200,
      );
    },
  );
}
