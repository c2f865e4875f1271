/**
 * The committed CloudFormation template equals the generator output (from `infra/src/tables.ts`) and
 * passes the structural validator; the validator itself catches each class of mistake it claims to.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toCloudFormation } from '../src/tables.ts';
import { checkCommittedTemplate, contractErrors, TEMPLATE_PATH, validateTemplate } from './cloudformation.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests mutate parsed JSON freely
type Json = any;

const committed = () => JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as Record<string, Json>;

describe('infra/deploy/cloudformation.json', () => {
  it('is up to date with the table definitions and valid', () => {
    expect(checkCommittedTemplate()).toEqual({ ok: true, problems: [] });
    expect(committed()).toEqual(toCloudFormation());
  });

  it('holds one AWS::DynamoDB::Table per environment with the contract key schema, billing and TTL', () => {
    const t = committed();
    expect(t.AWSTemplateFormatVersion).toBe('2010-09-09');
    const tables = Object.values(t.Resources as Record<string, Json>).filter(
      (r) => r.Type === 'AWS::DynamoDB::Table',
    );
    expect(tables.map((r) => r.Properties.TableName).sort()).toEqual(['chipid-live', 'chipid-sandbox']);
    for (const r of tables) {
      expect(r.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(r.Properties.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]);
      expect(r.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(r.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
      expect(r.DeletionPolicy).toBe('Retain');
    }
    expect(validateTemplate(t)).toEqual([]);
    expect(contractErrors(t as never)).toEqual([]);
  });

  it('reports a stale committed file', () => {
    const dir = `${TEMPLATE_PATH}.does-not-exist`;
    expect(checkCommittedTemplate(dir).ok).toBe(false);
  });
});

describe('validateTemplate', () => {
  type Mutation = [string, (t: Record<string, Json>) => void, RegExp];
  const sandbox = (t: Record<string, Json>) => t.Resources.SandboxTable.Properties;
  const mutations: Mutation[] = [
    ['wrong format version', (t) => (t.AWSTemplateFormatVersion = '2011-01-01'), /AWSTemplateFormatVersion/],
    ['unknown section', (t) => (t.Resourcez = {}), /unknown top-level section/],
    ['no resources', (t) => (t.Resources = {}), /Resources: required/],
    ['bad logical id', (t) => (t.Resources['Sandbox-Table'] = t.Resources.SandboxTable), /logical id/],
    ['bad type', (t) => (t.Resources.SandboxTable.Type = 'DynamoDB Table'), /not a resource type/],
    ['bad policy', (t) => (t.Resources.SandboxTable.DeletionPolicy = 'Keep'), /DeletionPolicy/],
    ['no key schema', (t) => delete sandbox(t).KeySchema, /KeySchema: must be an array/],
    ['RANGE first', (t) => sandbox(t).KeySchema.reverse(), /KeyType must be HASH/],
    [
      'undefined key attribute',
      (t) => sandbox(t).AttributeDefinitions.pop(),
      /sk is not in AttributeDefinitions/,
    ],
    [
      'unused attribute definition',
      (t) => sandbox(t).AttributeDefinitions.push({ AttributeName: 'gsi1pk', AttributeType: 'S' }),
      /gsi1pk is used by no key schema/,
    ],
    ['bad attribute type', (t) => (sandbox(t).AttributeDefinitions[0].AttributeType = 'STRING'), /S, N or B/],
    ['bad billing mode', (t) => (sandbox(t).BillingMode = 'ON_DEMAND'), /BillingMode/],
    [
      'provisioned without throughput',
      (t) => (sandbox(t).BillingMode = 'PROVISIONED'),
      /ProvisionedThroughput: required/,
    ],
    [
      'throughput with on-demand',
      (t) => (sandbox(t).ProvisionedThroughput = { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }),
      /not allowed with PAY_PER_REQUEST/,
    ],
    [
      'TTL without attribute',
      (t) => (sandbox(t).TimeToLiveSpecification = { Enabled: true }),
      /AttributeName required/,
    ],
    [
      'TTL enabled not boolean',
      (t) => (sandbox(t).TimeToLiveSpecification.Enabled = 'yes'),
      /Enabled \(boolean\)/,
    ],
    ['bad table name', (t) => (sandbox(t).TableName = 'chipid sandbox'), /TableName/],
    ['duplicate table name', (t) => (sandbox(t).TableName = 'chipid-live'), /used twice/],
    ['unknown property', (t) => (sandbox(t).ReadCapacity = 5), /ReadCapacity: unknown property/],
    [
      'dangling Ref',
      (t) => (t.Outputs.SandboxTableName.Value = { Ref: 'NoSuchTable' }),
      /unknown resource NoSuchTable/,
    ],
    [
      'bad GetAtt attribute',
      (t) => (t.Outputs.SandboxTableArn.Value = { 'Fn::GetAtt': ['SandboxTable', 'Name'] }),
      /not an attribute/,
    ],
    ['output without value', (t) => delete t.Outputs.SandboxTableArn.Value, /Value required/],
  ];
  for (const [name, mutate, want] of mutations) {
    it(`rejects: ${name}`, () => {
      const t = committed();
      mutate(t);
      const errors = validateTemplate(t);
      expect(errors.join('\n')).toMatch(want);
    });
  }

  it('rejects a template over the inline size limit', () => {
    const t = committed();
    t.Description = 'x'.repeat(1000);
    t.Metadata = { pad: 'x'.repeat(60_000) };
    expect(validateTemplate(t).join('\n')).toMatch(/bytes, over 51200/);
  });

  it('contractErrors catches a template that drifted from the service contract', () => {
    const t = committed();
    t.Resources.LiveTable.Properties.TimeToLiveSpecification.AttributeName = 'expiresAt';
    expect(validateTemplate(t)).toEqual([]);
    expect(contractErrors(t as never)).toEqual(['LiveTable: TTL must be enabled on ttl']);
  });
});
