/**
 * Starts the eKYC onboarding backend on Node (@hono/node-server).
 *
 *   npm start                                    # other terminal: the local chipid stack
 *   npx tsx examples/ekyc-onboarding/index.ts    # PORT=3000, STORE=examples/ekyc-onboarding/data/subjects.json
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@chipid/sdk';
import { type ServerType, serve } from '@hono/node-server';
import { loadConfig } from '../shared/config.ts';
import { createApp, type OnboardingDeps } from './app.ts';
import { jsonFileStore } from './store.ts';

export const DEFAULT_STORE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'subjects.json');

/**
 * Serves the onboarding app; resolves once listening.
 *
 * @example
 * const { url, close } = await startServer({ port: 0, deps });
 */
export function startServer(o: { port: number; hostname?: string; deps: OnboardingDeps }): Promise<{
  url: string;
  server: ServerType;
  close: () => Promise<void>;
}> {
  const app = createApp(o.deps);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: o.port, hostname: o.hostname ?? '127.0.0.1' }, (info) => {
      resolve({
        url: `http://${o.hostname ?? '127.0.0.1'}:${info.port}`,
        server,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const storePath = process.env.STORE ?? DEFAULT_STORE;
  const { url } = await startServer({
    port: Number(process.env.PORT ?? 3000),
    deps: { client: createClient(loadConfig()), store: jsonFileStore(storePath) },
  });
  console.log(`eKYC onboarding backend on ${url} (store: ${storePath})`);
  console.log('  POST /onboarding/challenge { userId }');
  console.log('  POST /onboarding/complete  { userId, challengeId, chip }');
}
