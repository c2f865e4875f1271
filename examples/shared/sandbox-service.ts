/**
 * Test support for the examples: the REAL chipid service — the bundled Worker in workerd (Miniflare,
 * `test/support/worker.ts`) on DynamoDB Local (`test/support/dynamodb.ts`), sandbox CSCA and registry
 * loaded through the admin API — reached over loopback HTTP by the SDK client, as an RP's backend
 * would. Call {@link useSandboxService} at the top level of a test file.
 */
import { type ChipIdClient, createClient } from '@chipid/sdk';
import { sandboxCSCA, sandboxRegistryJSONL } from '@chipid/sdk/sandbox';
import { afterAll, beforeAll } from 'vitest';
import { useTables } from '../../test/support/dynamodb.ts';
import { type RpClient, registerClient, startWorker, type TestWorker } from '../../test/support/worker.ts';
import type { ExampleConfig } from './config.ts';

export interface SandboxService {
  /** The running Worker (valid from beforeAll on). */
  readonly worker: TestWorker;
  /** Loopback URL the Worker listens on. */
  readonly url: string;
  /** Registers a new sandbox RP client and returns its configuration and an SDK client. */
  newClient(scope?: string[]): Promise<{ config: ExampleConfig; client: ChipIdClient; rp: RpClient }>;
}

/**
 * Starts the service for this test file (beforeAll) and stops it (afterAll).
 *
 * @example
 * const svc = useSandboxService();
 * it('works', async () => { const { client } = await svc.newClient(); });
 */
export function useSandboxService(): SandboxService {
  const db = useTables();
  let worker: TestWorker | undefined;
  let url: string | undefined;

  beforeAll(async () => {
    worker = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
    url = (await worker.mf.ready).href.replace(/\/$/, '');
    const csca = await sandboxCSCA();
    let res = await worker.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
    if (res.status !== 201) throw new Error(`load CSCA: ${res.status} ${await res.text()}`);
    res = await worker.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
      'content-type': 'application/x-ndjson',
    });
    const imported = (await res.json()) as { failed?: unknown[] };
    if (res.status !== 200 || imported.failed?.length) throw new Error(`registry import: ${res.status}`);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useSandboxService: only available from beforeAll on');
    return v;
  };

  return {
    get worker() {
      return ready(worker);
    },
    get url() {
      return ready(url);
    },
    async newClient(scope = ['name', 'given_name', 'family_name', 'birthdate', 'age_over_18']) {
      const w = ready(worker);
      const base = ready(url);
      const rp = await registerClient(w, { scope });
      const config: ExampleConfig = { baseUrl: base, clientId: rp.clientId, privateKey: rp.privateJwk };
      // The Worker's SERVICE_URL (issuer, request audience) differs from the loopback URL it listens on,
      // like a service behind a proxy: say so, and fetch the JWKS where the service really is — the
      // sandbox issuer's own key set, as these are sandbox clients.
      const client = createClient({
        ...config,
        serviceUrl: w.serviceUrl,
        jwks: `${base}/sandbox/.well-known/jwks.json`,
        retryBaseDelayMs: 50,
      });
      return { config, client, rp };
    },
  };
}
