/**
 * vitest globalSetup — ONE DynamoDB Local (in memory, loopback) shared by the whole test run.
 *
 * Started lazily: the endpoint (a free loopback port chosen now) is provided at once as
 * `dynamodbEndpoint`, but the Java process starts only when a test file first asks for it through
 * `sharedDynamoDB()` / `useTables()` from `test/support/dynamodb.ts` (a tiny loopback control
 * server, `dynamodbControl`, does the asking). A run of SDK-only tests never pays the ~2.5 s JVM start.
 * `CHIPID_DYNAMODB_EAGER=1` starts it up front. Stopped at teardown.
 */
import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';
import { type DynamoDBLocal, freePort, startDynamoDBLocal } from '../../infra/src/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the shared DynamoDB Local (call `sharedDynamoDB()` before use). */
    dynamodbEndpoint: string;
    /** Loopback URL of the control server that starts the shared DynamoDB Local on demand. */
    dynamodbControl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  let starting: Promise<DynamoDBLocal> | undefined;
  const ensure = (): Promise<DynamoDBLocal> => {
    starting ??= startDynamoDBLocal({ port, host }).catch((err: unknown) => {
      starting = undefined;
      throw err;
    });
    return starting;
  };

  const control = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/ensure') {
      res.writeHead(404).end();
      return;
    }
    const t0 = performance.now();
    ensure().then(
      (ddb) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            endpoint: ddb.endpoint,
            kind: ddb.kind,
            waitedMs: Math.round(performance.now() - t0),
          }),
        );
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : String(err));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, host, () => resolve());
  });
  const address = control.address();
  const controlPort = typeof address === 'object' && address !== null ? address.port : 0;

  project.provide('dynamodbEndpoint', `http://${host}:${port}`);
  project.provide('dynamodbControl', `http://${host}:${controlPort}`);
  if (process.env.CHIPID_DYNAMODB_EAGER === '1') await ensure();

  return async () => {
    control.closeAllConnections();
    await new Promise<void>((resolve) => control.close(() => resolve()));
    const running = starting;
    starting = undefined;
    if (running !== undefined) await (await running.catch(() => undefined))?.stop();
  };
}
