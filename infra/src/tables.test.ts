/** Table definitions against the real DynamoDB Local (shared instance of the run; no mocked client). */
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { useTables } from '../../test/support/dynamodb.ts';
import {
  createTables,
  DEFAULT_TABLE_PREFIX,
  ENVIRONMENTS,
  TABLES,
  tableName,
  toCloudFormation,
} from './tables.ts';

describe('tables on DynamoDB Local', () => {
  const db = useTables();

  it('creates one table per environment with pk/sk string keys and on-demand billing', async () => {
    for (const env of ENVIRONMENTS) {
      const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName(env) }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
      );
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('enables TTL on the ttl attribute', async () => {
    for (const env of ENVIRONMENTS) {
      const out = await db.client.send(new DescribeTimeToLiveCommand({ TableName: db.tableName(env) }));
      expect(out.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    }
  });

  it('is idempotent: a second createTables finds the tables and keeps their items', async () => {
    const TableName = db.tableName('sandbox');
    await db.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'KEEP#1' }, sk: { S: 'X' } } }));
    const again = await createTables(db.client, { prefix: db.prefix });
    expect(again).toEqual({
      created: [],
      existing: [db.tableName('sandbox'), db.tableName('live')],
      ttl: 'enabled',
    });
    const got = await db.client.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'KEEP#1' }, sk: { S: 'X' } } }),
    );
    expect(got.Item?.pk?.S).toBe('KEEP#1');
  });

  it('a conditional put with attribute_not_exists(pk) succeeds once, then fails', async () => {
    const put = () =>
      db.client.send(
        new PutItemCommand({
          TableName: db.tableName('sandbox'),
          Item: { pk: { S: 'JTI#sandbox_x#abc' }, sk: { S: 'JTI' }, ttl: { N: '1999999999' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('TransactWriteItems writes all or nothing', async () => {
    const TableName = db.tableName('live');
    const item = (pk: string) => ({
      Put: {
        TableName,
        Item: { pk: { S: pk }, sk: { S: 'S' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    await db.client.send(new TransactWriteItemsCommand({ TransactItems: [item('TX#a'), item('TX#b')] }));
    for (const pk of ['TX#a', 'TX#b']) {
      const got = await db.client.send(
        new GetItemCommand({ TableName, Key: { pk: { S: pk }, sk: { S: 'S' } } }),
      );
      expect(got.Item?.pk?.S).toBe(pk);
    }
    // TX#a exists, so the whole transaction is cancelled and TX#c is not written.
    await expect(
      db.client.send(new TransactWriteItemsCommand({ TransactItems: [item('TX#c'), item('TX#a')] })),
    ).rejects.toBeInstanceOf(TransactionCanceledException);
    const c = await db.client.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'TX#c' }, sk: { S: 'S' } } }),
    );
    expect(c.Item).toBeUndefined();
  });
});

describe('toCloudFormation', () => {
  it('emits one AWS::DynamoDB::Table per environment from the same definitions', () => {
    const t = toCloudFormation('chipid-');
    expect(t.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(Object.keys(t.Resources)).toEqual(TABLES.map((d) => d.logicalId));
    for (const def of TABLES) {
      const r = t.Resources[def.logicalId];
      expect(r?.Type).toBe('AWS::DynamoDB::Table');
      expect(r?.DeletionPolicy).toBe('Retain');
      expect(r?.Properties).toMatchObject({
        TableName: tableName('chipid-', def.env),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    expect(t.Outputs.SandboxTableArn?.Value).toEqual({ 'Fn::GetAtt': ['SandboxTable', 'Arn'] });
  });

  it('uses the prefix (default chipid-) and is plain JSON', () => {
    const t = toCloudFormation();
    expect(t.Resources.LiveTable?.Properties.TableName).toBe(`${DEFAULT_TABLE_PREFIX}live`);
    expect(toCloudFormation('acme-').Resources.SandboxTable?.Properties.TableName).toBe('acme-sandbox');
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });
});
