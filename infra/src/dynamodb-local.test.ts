/** DynamoDB Local launcher: its own instances (not the shared one), real processes, real sockets. */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DynamoDBLocal,
  dynamoClient,
  emulatorDir,
  findJava,
  freePort,
  startDynamoDBLocal,
} from './dynamodb-local.ts';
import { createTables } from './tables.ts';

const started: DynamoDBLocal[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((d) => d.stop()));
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('startDynamoDBLocal (Java)', () => {
  it('finds the emulator jar and java on this machine', () => {
    expect(emulatorDir()).toMatch(/amplify-dynamodb-simulator[\\/]emulator$/);
    expect(findJava()).toBeDefined();
  });

  it('stops and restarts on the same port (data gone, new instance answers); loopback only; port in use refused', async () => {
    const port = await freePort();
    const first = await startDynamoDBLocal({ port });
    started.push(first);
    expect(first).toMatchObject({ kind: 'dynamodb-local', port, endpoint: `http://127.0.0.1:${port}` });
    expect(first.pid).toBeTypeOf('number');
    const client = dynamoClient(first.endpoint, { maxAttempts: 1, requestTimeoutMs: 2_000 });
    try {
      await createTables(client, { prefix: 'r-' });
      const Key = { pk: { S: 'A' }, sk: { S: 'B' } };
      await client.send(new PutItemCommand({ TableName: 'r-sandbox', Item: Key }));
      expect((await client.send(new GetItemCommand({ TableName: 'r-sandbox', Key }))).Item).toBeDefined();

      await Promise.all([first.stop(), first.stop()]); // idempotent
      await first.exited;
      expect(processAlive(first.pid ?? 0)).toBe(false);
      expect(await canConnect('127.0.0.1', port)).toBe(false);
      await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();

      const second = await startDynamoDBLocal({ port });
      started.push(second);
      expect(second.pid).not.toBe(first.pid);
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);

      // Bound to 127.0.0.1 only (DynamoDB Local alone would listen on every interface).
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
      if (external !== undefined) expect(await canConnect(external.address, port)).toBe(false);
      await expect(startDynamoDBLocal({ port })).rejects.toThrow(/already in use/);
    } finally {
      client.destroy();
    }
  });

  it("jit: `startup` (default) runs the quick compiler alone, `throughput` HotSpot's tiered C2", async () => {
    const jvmFlags = (pid: number | undefined) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a.startsWith('-XX:'));
    const quick = await startDynamoDBLocal();
    started.push(quick);
    const steady = await startDynamoDBLocal({ jit: 'throughput' });
    started.push(steady);
    expect(jvmFlags(quick.pid)).toEqual(['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']);
    expect(jvmFlags(steady.pid)).toEqual(['-XX:+UseSerialGC']);
    const client = dynamoClient(steady.endpoint, { maxAttempts: 1, requestTimeoutMs: 5_000 });
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      client.destroy();
    }
  });
});

describe('startDynamoDBLocal (dynalite fallback)', () => {
  it('falls back to dynalite with a warning when no java is found', async () => {
    const saved = process.env.CHIPID_JAVA;
    process.env.CHIPID_JAVA = '/nonexistent/bin/java';
    const warnings: string[] = [];
    try {
      const ddb = await startDynamoDBLocal({ warn: (m) => warnings.push(m) });
      started.push(ddb);
      expect(ddb.kind).toBe('dynalite');
      expect(ddb.pid).toBeUndefined();
      expect(warnings.join('\n')).toMatch(/no Java found: using dynalite/);
      const client = dynamoClient(ddb.endpoint);
      try {
        // dynalite has no TTL: createTables warns and carries on.
        const ttlWarnings: string[] = [];
        const out = await createTables(client, { prefix: 'd-', warn: (m) => ttlWarnings.push(m) });
        expect(out).toMatchObject({ created: ['d-sandbox', 'd-live'], ttl: 'unsupported' });
        expect(ttlWarnings).toHaveLength(1);
        const put = () =>
          client.send(
            new PutItemCommand({
              TableName: 'd-sandbox',
              Item: { pk: { S: 'X' }, sk: { S: 'Y' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        await put();
        await expect(put()).rejects.toThrow(/conditional/i);
      } finally {
        client.destroy();
      }
    } finally {
      if (saved === undefined) delete process.env.CHIPID_JAVA;
      else process.env.CHIPID_JAVA = saved;
    }
  });

  it('CHIPID_DYNAMODB=dynamodb-local without java is an error, not a silent fallback', async () => {
    const saved = process.env.CHIPID_JAVA;
    process.env.CHIPID_JAVA = '/nonexistent/bin/java';
    try {
      await expect(startDynamoDBLocal({ kind: 'dynamodb-local' })).rejects.toThrow(/no java found/);
    } finally {
      if (saved === undefined) delete process.env.CHIPID_JAVA;
      else process.env.CHIPID_JAVA = saved;
    }
  });
});
