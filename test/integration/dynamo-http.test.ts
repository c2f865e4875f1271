/**
 * The Worker's DynamoDB client (`functions/src/store/dynamo-http.ts`) on the wire: what it sends
 * (JSON 1.0 protocol, `X-Amz-Target`, a SigV4 `Authorization` for the dynamodb service and region),
 * how it maps DynamoDB's error answers to SDK-shaped errors, and its retries — against DynamoDB Local
 * for real answers and a scripted loopback server for the faults DynamoDB Local can't be asked to
 * produce (5xx, throttling, a silent server).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoHttpClient, DynamoServiceError } from '../../functions/src/store/dynamo-http.ts';
import { useTables } from '../support/dynamodb.ts';

const db = useTables();
const local = () =>
  new DynamoHttpClient({
    endpoint: db.endpoint,
    region: 'ap-southeast-1',
    accessKeyId: 'local',
    secretAccessKey: 'local',
  });

describe('DynamoHttpClient against DynamoDB Local', () => {
  it('round-trips an item and reports a failed condition as the SDK does', async () => {
    const c = local();
    const TableName = db.tableName('sandbox');
    const Key = { pk: { S: 'HTTP#1' }, sk: { S: 'X' } };
    const put = await c.send(
      new PutItemCommand({
        TableName,
        Item: { ...Key, n: { N: '41' }, l: { L: [{ S: 'ờ' }, { NULL: true }] } },
      }),
    );
    expect(put.$metadata.httpStatusCode).toBe(200);
    const upd = await c.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    expect(upd.Attributes).toEqual({ n: { N: '42' } });
    const got = await c.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    expect(got.Item).toEqual({ ...Key, n: { N: '42' }, l: { L: [{ S: 'ờ' }, { NULL: true }] } });
    expect(
      (await c.send(new GetItemCommand({ TableName, Key: { pk: { S: 'no' }, sk: { S: 'X' } } }))).Item,
    ).toBeUndefined();

    const err = await c
      .send(new PutItemCommand({ TableName, Item: Key, ConditionExpression: 'attribute_not_exists(pk)' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DynamoServiceError);
    expect(err).toMatchObject({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
  });

  it('reports a cancelled transaction with its reasons in item order', async () => {
    const c = local();
    const TableName = db.tableName('sandbox');
    const err = await c
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { pk: { S: 'HTTP#2' }, sk: { S: 'X' } } } },
            {
              Put: {
                TableName,
                Item: { pk: { S: 'HTTP#1' }, sk: { S: 'X' } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransactionCanceledException' });
    expect((err as DynamoServiceError).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    // Nothing of the cancelled transaction was written.
    const got = await c.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'HTTP#2' }, sk: { S: 'X' } }, ConsistentRead: true }),
    );
    expect(got.Item).toBeUndefined();
  });

  it('maps a malformed request to ValidationException without retrying', async () => {
    const err = await local()
      .send(new GetItemCommand({ TableName: db.tableName('sandbox'), Key: { pk: { S: 'only-pk' } } }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ValidationException', $metadata: { attempts: 1 } });
  });

  it('refuses a command it does not speak, before sending anything', async () => {
    const err = await local()
      .send(new ScanCommand({ TableName: db.tableName('sandbox') }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ValidationException', $metadata: { attempts: 0 } });
  });
});

/** A loopback server answering each request with the next scripted reply (the last one repeats). */
function scripted(replies: ({ status: number; body: string } | 'hang')[]) {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const r = replies[Math.min(seen.length - 1, replies.length - 1)]!;
      if (r === 'hang') return; // never answers
      res.writeHead(r.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'rid-1' });
      res.end(r.body);
    });
  });
  return {
    seen,
    server,
    client: (o: { maxAttempts?: number; requestTimeoutMs?: number } = {}) =>
      new DynamoHttpClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'ap-southeast-1',
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
        ...o,
      }),
  };
}

describe('DynamoHttpClient faults and retries (scripted loopback server)', () => {
  const servers: Server[] = [];
  const start = async (replies: Parameters<typeof scripted>[0]) => {
    const s = scripted(replies);
    servers.push(s.server);
    await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
    return s;
  };
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  const throttled = {
    status: 400,
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'slow down',
    }),
  };
  const item = { status: 200, body: JSON.stringify({ Item: { pk: { S: 'A' }, sk: { S: 'B' } } }) };

  it('signs with SigV4 for dynamodb in the configured region and names the operation', async () => {
    const s = await start([item]);
    const out = await s
      .client()
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'A' }, sk: { S: 'B' } } }));
    expect(out.Item).toEqual({ pk: { S: 'A' }, sk: { S: 'B' } });
    expect(out.$metadata).toMatchObject({ httpStatusCode: 200, requestId: 'rid-1', attempts: 1 });
    const h = s.seen[0]!.headers;
    expect(h['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(h['content-type']).toBe('application/x-amz-json-1.0');
    expect(h.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/ap-southeast-1\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(h['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(JSON.parse(s.seen[0]!.body)).toEqual({ TableName: 't', Key: { pk: { S: 'A' }, sk: { S: 'B' } } });
  });

  it('retries 5xx and throttling with backoff, then succeeds', async () => {
    const s = await start([{ status: 500, body: '' }, throttled, item]);
    const out = await s.client({ maxAttempts: 3 }).send(new GetItemCommand({ TableName: 't', Key: {} }));
    expect(out.$metadata.attempts).toBe(3);
    expect(s.seen).toHaveLength(3);
  });

  it('gives up after maxAttempts with the last error, typed', async () => {
    const s = await start([throttled]);
    const err = await s
      .client({ maxAttempts: 2 })
      .send(new GetItemCommand({ TableName: 't', Key: {} }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: 'slow down',
      $metadata: { httpStatusCode: 400, attempts: 2 },
    });
    expect(s.seen).toHaveLength(2);
  });

  it('names a non-JSON 5xx answer and a silent server (timeout per attempt)', async () => {
    const s = await start([{ status: 502, body: '<html>bad gateway</html>' }]);
    const err = await s
      .client({ maxAttempts: 1 })
      .send(new GetItemCommand({ TableName: 't', Key: {} }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'InternalServerError',
      $fault: 'server',
      $metadata: { httpStatusCode: 502 },
    });

    const silent = await start(['hang']);
    const t0 = Date.now();
    const e2 = await silent
      .client({ maxAttempts: 2, requestTimeoutMs: 150 })
      .send(new GetItemCommand({ TableName: 't', Key: {} }))
      .catch((e: unknown) => e);
    expect((e2 as Error).name).toBe('TimeoutError');
    expect(silent.seen).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('sends one ClientRequestToken across the retries of a transaction', async () => {
    const s = await start([
      { status: 503, body: '' },
      { status: 200, body: '{}' },
    ]);
    await s.client().send(new TransactWriteItemsCommand({ TransactItems: [] }));
    const tokens = s.seen.map(
      (r) => (JSON.parse(r.body) as { ClientRequestToken?: string }).ClientRequestToken,
    );
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[1]).toBe(tokens[0]);
  });
});
