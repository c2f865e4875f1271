/**
 * Test helpers for the shared DynamoDB Local of `test/setup/dynamodb.global.ts`: each test file gets
 * its own uniquely prefixed tables (same definitions as production, `infra/src/tables.ts`) so files
 * running in parallel never see each other's items.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { dynamoClient } from '../../infra/src/dynamodb-local.ts';
import { createTables, deleteTables, type Environment, tableName } from '../../infra/src/tables.ts';

export interface SharedDynamoDB {
  readonly endpoint: string;
  readonly kind: 'dynamodb-local' | 'dynalite';
}

let shared: Promise<SharedDynamoDB> | undefined;

/**
 * Endpoint of the run's shared DynamoDB Local, started on first call (waits until it answers).
 * Use this rather than `inject('dynamodbEndpoint')` directly: the server is started lazily.
 *
 * @example
 * const { endpoint } = await sharedDynamoDB();
 */
export function sharedDynamoDB(): Promise<SharedDynamoDB> {
  shared ??= (async () => {
    const control = inject('dynamodbControl');
    if (typeof control !== 'string') {
      throw new Error(
        'sharedDynamoDB: no dynamodbControl provided (is test/setup/dynamodb.global.ts in globalSetup?)',
      );
    }
    const res = await fetch(`${control}/ensure`, { method: 'POST' });
    const body = await res.text();
    if (!res.ok) throw new Error(`shared DynamoDB Local did not start: ${body}`);
    return JSON.parse(body) as SharedDynamoDB;
  })().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

export interface TablesHandle {
  /** A client for the shared instance (valid from `beforeAll` on). */
  readonly client: DynamoDBClient;
  /** This file's table prefix, e.g. `t3f9a1c2e-`. */
  readonly prefix: string;
  readonly endpoint: string;
  /** `${prefix}${env}` */
  tableName(env: Environment): string;
}

/**
 * Create a uniquely prefixed set of tables on the shared DynamoDB Local in `beforeAll` and delete them
 * in `afterAll`. Call at the top level of a test file (or of a `describe`).
 *
 * @example
 * const db = useTables();
 * it('writes', async () => {
 *   await db.client.send(new PutItemCommand({ TableName: db.tableName('sandbox'), Item: { … } }));
 * });
 */
export function useTables(): TablesHandle {
  let client: DynamoDBClient | undefined;
  let endpoint: string | undefined;
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useTables: ${what} is only available from beforeAll on`);
    return value;
  };

  beforeAll(async () => {
    endpoint = (await sharedDynamoDB()).endpoint;
    client = dynamoClient(endpoint);
    await createTables(client, { prefix, warn: () => {} });
  });
  afterAll(async () => {
    if (client === undefined) return;
    try {
      await deleteTables(client, { prefix });
    } finally {
      client.destroy();
      client = undefined;
    }
  });

  return {
    get client() {
      return ready(client, 'client');
    },
    get endpoint() {
      return ready(endpoint, 'endpoint');
    },
    prefix,
    tableName: (env: Environment) => tableName(prefix, env),
  };
}
