/**
 * DynamoDB table definitions — the one source for local tables (DynamoDB Local / dynalite) and the
 * AWS CloudFormation template. One table per environment (`${prefix}sandbox`, `${prefix}live`),
 * key `pk` (S, HASH) + `sk` (S, RANGE), TTL attribute `ttl` (epoch seconds), on-demand billing
 * (see helpers' SERVICE-CONTRACT "Environments"; AWS DynamoDB API reference: CreateTable,
 * UpdateTimeToLive; CloudFormation `AWS::DynamoDB::Table`).
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/** The environments; a client id's prefix (`sandbox_` / `live_`) selects one. */
export const ENVIRONMENTS = ['sandbox', 'live'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Default table name prefix (`chipid-sandbox`, `chipid-live`). */
export const DEFAULT_TABLE_PREFIX = 'chipid-';

/** Name of the TTL attribute (epoch seconds). DynamoDB deletes lazily: expiry is enforced in code. */
export const TTL_ATTRIBUTE = 'ttl';

/** Key attribute names. */
export const KEY = { partition: 'pk', sort: 'sk' } as const;

/** Shape of one table, independent of the prefix. */
export interface TableDefinition {
  /** Environment the table serves; the table name is `${prefix}${env}`. */
  readonly env: Environment;
  /** CloudFormation logical id. */
  readonly logicalId: string;
  readonly keySchema: readonly KeySchemaElement[];
  readonly attributeDefinitions: readonly AttributeDefinition[];
  readonly billingMode: 'PAY_PER_REQUEST';
  readonly ttlAttribute: string;
}

const KEY_SCHEMA: readonly KeySchemaElement[] = [
  { AttributeName: KEY.partition, KeyType: 'HASH' },
  { AttributeName: KEY.sort, KeyType: 'RANGE' },
];

const ATTRIBUTE_DEFINITIONS: readonly AttributeDefinition[] = [
  { AttributeName: KEY.partition, AttributeType: 'S' },
  { AttributeName: KEY.sort, AttributeType: 'S' },
];

/** The table definitions as data (one per environment). */
export const TABLES: readonly TableDefinition[] = [
  {
    env: 'sandbox',
    logicalId: 'SandboxTable',
    keySchema: KEY_SCHEMA,
    attributeDefinitions: ATTRIBUTE_DEFINITIONS,
    billingMode: 'PAY_PER_REQUEST',
    ttlAttribute: TTL_ATTRIBUTE,
  },
  {
    env: 'live',
    logicalId: 'LiveTable',
    keySchema: KEY_SCHEMA,
    attributeDefinitions: ATTRIBUTE_DEFINITIONS,
    billingMode: 'PAY_PER_REQUEST',
    ttlAttribute: TTL_ATTRIBUTE,
  },
];

/**
 * Table name for an environment.
 *
 * @example
 * tableName('chipid-', 'sandbox'); // 'chipid-sandbox'
 */
export function tableName(prefix: string, env: Environment): string {
  return `${prefix}${env}`;
}

export interface TableOptions {
  /** Table name prefix, e.g. `chipid-` (default {@link DEFAULT_TABLE_PREFIX}). */
  readonly prefix?: string;
  /** How long to wait for a table to become ACTIVE / disappear (default 30 s). */
  readonly timeoutMs?: number;
  /** Where warnings go (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

export interface CreateTablesResult {
  /** Tables this call created. */
  readonly created: string[];
  /** Tables that already existed (left as they were, TTL ensured). */
  readonly existing: string[];
  /** `enabled` when TTL is on for every table; `unsupported` when the server lacks TTL (dynalite). */
  readonly ttl: 'enabled' | 'unsupported';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err
    ? String((err as { name: unknown }).name)
    : '';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function waitForStatus(
  client: DynamoDBClient,
  name: string,
  want: 'ACTIVE' | 'GONE',
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    let status: string;
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: name }));
      status = out.Table?.TableStatus ?? 'UNKNOWN';
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw err;
      status = 'GONE';
    }
    if (status === want) return;
    if (Date.now() + delay > deadline) {
      throw new Error(`table ${name}: still ${status} after ${timeoutMs} ms (wanted ${want})`);
    }
    await sleep(delay);
  }
}

/** dynalite (and very old emulators) answer TTL operations with an unknown-operation error. */
function isUnsupportedOperation(err: unknown): boolean {
  const name = errorName(err);
  return (
    name === 'UnknownOperationException' ||
    name === 'UnrecognizedClientException' ||
    /unknown ?operation|not supported/i.test(errorMessage(err))
  );
}

async function ensureTTL(client: DynamoDBClient, name: string, attribute: string): Promise<boolean> {
  try {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const desc = current.TimeToLiveDescription;
    if (
      (desc?.TimeToLiveStatus === 'ENABLED' || desc?.TimeToLiveStatus === 'ENABLING') &&
      desc.AttributeName === attribute
    ) {
      return true;
    }
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
    return true;
  } catch (err) {
    if (isUnsupportedOperation(err)) return false;
    // A concurrent createTables may have enabled it between our describe and update.
    if (errorName(err) === 'ValidationException' && /already enabled/i.test(errorMessage(err))) return true;
    throw err;
  }
}

/**
 * Create the environment tables (idempotent: existing tables are fine), wait until they are ACTIVE
 * and enable TTL on `ttl`. On a server without TTL support (dynalite) it warns and carries on.
 *
 * @example
 * const client = dynamoClient('http://127.0.0.1:8000');
 * await createTables(client, { prefix: 'chipid-' }); // chipid-sandbox, chipid-live
 */
export async function createTables(
  client: DynamoDBClient,
  options: TableOptions = {},
): Promise<CreateTablesResult> {
  const prefix = options.prefix ?? DEFAULT_TABLE_PREFIX;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const created: string[] = [];
  const existing: string[] = [];
  let ttlSupported = true;
  for (const def of TABLES) {
    const name = tableName(prefix, def.env);
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [...def.keySchema],
          AttributeDefinitions: [...def.attributeDefinitions],
          BillingMode: def.billingMode,
        }),
      );
      created.push(name);
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') throw err;
      existing.push(name);
    }
    await waitForStatus(client, name, 'ACTIVE', timeoutMs);
    if (ttlSupported && !(await ensureTTL(client, name, def.ttlAttribute))) {
      ttlSupported = false;
      warn(
        `chipid: this DynamoDB server does not support TTL (dynalite?): expired items stay until deleted; ` +
          'expiry is still enforced in code',
      );
    }
  }
  return { created, existing, ttl: ttlSupported ? 'enabled' : 'unsupported' };
}

/**
 * Delete the environment tables for a prefix (missing tables are fine) and wait until they are gone.
 *
 * @example
 * await deleteTables(client, { prefix: 't1a2b3-' });
 */
export async function deleteTables(client: DynamoDBClient, options: TableOptions = {}): Promise<string[]> {
  const prefix = options.prefix ?? DEFAULT_TABLE_PREFIX;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deleted: string[] = [];
  for (const def of TABLES) {
    const name = tableName(prefix, def.env);
    try {
      await client.send(new DeleteTableCommand({ TableName: name }));
      deleted.push(name);
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw err;
    }
    await waitForStatus(client, name, 'GONE', timeoutMs);
  }
  return deleted;
}

/** Minimal typing of the emitted CloudFormation template. */
export interface CloudFormationTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Resources: Record<
    string,
    { Type: string; DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> }
  >;
  Outputs: Record<string, { Description: string; Value: unknown }>;
}

/**
 * The CloudFormation template for the tables (from the same definitions as {@link createTables}):
 * on-demand billing, TTL on `ttl`, point-in-time recovery, server-side encryption, deletion
 * protection, and Retain policies so a stack deletion never drops registry data.
 *
 * @example
 * JSON.stringify(toCloudFormation('chipid-'), null, 2); // write to infra/cloudformation.json
 */
export function toCloudFormation(prefix: string = DEFAULT_TABLE_PREFIX): CloudFormationTemplate {
  const resources: CloudFormationTemplate['Resources'] = {};
  const outputs: CloudFormationTemplate['Outputs'] = {};
  for (const def of TABLES) {
    resources[def.logicalId] = {
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: tableName(prefix, def.env),
        BillingMode: def.billingMode,
        AttributeDefinitions: def.attributeDefinitions.map((a) => ({ ...a })),
        KeySchema: def.keySchema.map((k) => ({ ...k })),
        TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        Tags: [
          { Key: 'app', Value: 'chipid' },
          { Key: 'environment', Value: def.env },
        ],
      },
    };
    outputs[`${def.logicalId}Name`] = {
      Description: `DynamoDB table of the ${def.env} environment`,
      Value: { Ref: def.logicalId },
    };
    outputs[`${def.logicalId}Arn`] = {
      Description: `ARN of the ${def.env} table (for the Worker's IAM policy)`,
      Value: { 'Fn::GetAtt': [def.logicalId, 'Arn'] },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `chipid registry tables (prefix ${prefix}): one table per environment, pk/sk, TTL on ${TTL_ATTRIBUTE}`,
    Resources: resources,
    Outputs: outputs,
  };
}
