/**
 * CloudFormation template of the chipid DynamoDB tables — emitted from the one set of table
 * definitions (`infra/src/tables.ts`, `toCloudFormation`) to `infra/deploy/cloudformation.json`, plus
 * a structural validator (AWS CloudFormation User Guide: "Template anatomy", resource type reference
 * `AWS::DynamoDB::Table`) because cfn-lint is not available offline.
 *
 * Usage:
 *   npx tsx infra/deploy/cloudformation.ts            # (re)write infra/deploy/cloudformation.json
 *   npx tsx infra/deploy/cloudformation.ts --check    # exit 1 when the committed file is stale or invalid
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CloudFormationTemplate,
  DEFAULT_TABLE_PREFIX,
  KEY,
  TABLES,
  TTL_ATTRIBUTE,
  tableName,
  toCloudFormation,
} from '../src/tables.ts';

/** Where the committed template lives. */
export const TEMPLATE_PATH = join(dirname(fileURLToPath(import.meta.url)), 'cloudformation.json');

/** Largest template accepted inline by CloudFormation (`--template-body`, 51,200 bytes). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/**
 * The template text: `toCloudFormation(prefix)` pretty-printed with a final newline (the committed file
 * is then laid out by Biome; {@link checkCommittedTemplate} compares data, not bytes).
 *
 * @example
 * writeFileSync('infra/deploy/cloudformation.json', renderTemplate());
 */
export function renderTemplate(prefix: string = DEFAULT_TABLE_PREFIX): string {
  return `${JSON.stringify(toCloudFormation(prefix), null, 2)}\n`;
}

const TOP_LEVEL = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'DependsOn',
  'Metadata',
  'Condition',
  'CreationPolicy',
  'UpdatePolicy',
]);
const POLICIES = new Set(['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate']);
/** Properties of `AWS::DynamoDB::Table` (CloudFormation resource type reference). */
const TABLE_PROPERTIES = new Set([
  'AttributeDefinitions',
  'BillingMode',
  'ContributorInsightsSpecification',
  'DeletionProtectionEnabled',
  'GlobalSecondaryIndexes',
  'ImportSourceSpecification',
  'KeySchema',
  'KinesisStreamSpecification',
  'LocalSecondaryIndexes',
  'OnDemandThroughput',
  'PointInTimeRecoverySpecification',
  'ProvisionedThroughput',
  'ResourcePolicy',
  'SSESpecification',
  'StreamSpecification',
  'TableClass',
  'TableName',
  'Tags',
  'TimeToLiveSpecification',
  'WarmThroughput',
]);
const TABLE_ATTRIBUTES = new Set(['Arn', 'StreamArn']);
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Logical ids a `Ref` / `Fn::GetAtt` anywhere in `v` points at, with the attribute for GetAtt. */
function references(v: unknown, out: { id: string; attr?: string }[] = []): { id: string; attr?: string }[] {
  if (Array.isArray(v)) {
    for (const x of v) references(x, out);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') out.push({ id: x });
      else if (k === 'Fn::GetAtt' && Array.isArray(x) && typeof x[0] === 'string')
        out.push({ id: x[0], ...(typeof x[1] === 'string' ? { attr: x[1] } : {}) });
      else references(x, out);
    }
  }
  return out;
}

function checkTable(id: string, p: Record<string, unknown>, errors: string[]): void {
  const at = `Resources.${id}.Properties`;
  for (const k of Object.keys(p)) if (!TABLE_PROPERTIES.has(k)) errors.push(`${at}.${k}: unknown property`);

  const keySchema = p.KeySchema;
  const keyNames: string[] = [];
  if (!Array.isArray(keySchema) || keySchema.length < 1 || keySchema.length > 2) {
    errors.push(`${at}.KeySchema: must be an array of 1 or 2 elements`);
  } else {
    keySchema.forEach((k, i) => {
      if (!isObject(k) || typeof k.AttributeName !== 'string' || k.AttributeName.length === 0) {
        errors.push(`${at}.KeySchema[${i}]: AttributeName required`);
        return;
      }
      const want = i === 0 ? 'HASH' : 'RANGE';
      if (k.KeyType !== want) errors.push(`${at}.KeySchema[${i}]: KeyType must be ${want}`);
      keyNames.push(k.AttributeName);
    });
    if (new Set(keyNames).size !== keyNames.length) errors.push(`${at}.KeySchema: duplicate attribute`);
  }

  const defs = p.AttributeDefinitions;
  const defined = new Map<string, unknown>();
  if (!Array.isArray(defs) || defs.length === 0) {
    errors.push(`${at}.AttributeDefinitions: must be a non-empty array`);
  } else {
    defs.forEach((d, i) => {
      if (!isObject(d) || typeof d.AttributeName !== 'string') {
        errors.push(`${at}.AttributeDefinitions[${i}]: AttributeName required`);
        return;
      }
      if (d.AttributeType !== 'S' && d.AttributeType !== 'N' && d.AttributeType !== 'B')
        errors.push(`${at}.AttributeDefinitions[${i}]: AttributeType must be S, N or B`);
      if (defined.has(d.AttributeName)) errors.push(`${at}.AttributeDefinitions: ${d.AttributeName} twice`);
      defined.set(d.AttributeName, d.AttributeType);
    });
  }
  for (const k of keyNames)
    if (!defined.has(k)) errors.push(`${at}.KeySchema: ${k} is not in AttributeDefinitions`);
  // CloudFormation refuses definitions of attributes that no key schema (table or index) uses.
  const indexKeys = new Set(keyNames);
  for (const idx of [p.GlobalSecondaryIndexes, p.LocalSecondaryIndexes]) {
    if (!Array.isArray(idx)) continue;
    for (const ix of idx)
      if (isObject(ix) && Array.isArray(ix.KeySchema))
        for (const k of ix.KeySchema)
          if (isObject(k) && typeof k.AttributeName === 'string') indexKeys.add(k.AttributeName);
  }
  for (const name of defined.keys())
    if (!indexKeys.has(name)) errors.push(`${at}.AttributeDefinitions: ${name} is used by no key schema`);

  if (p.BillingMode === 'PAY_PER_REQUEST') {
    if (p.ProvisionedThroughput !== undefined)
      errors.push(`${at}.ProvisionedThroughput: not allowed with PAY_PER_REQUEST`);
  } else if (p.BillingMode === 'PROVISIONED' || p.BillingMode === undefined) {
    if (!isObject(p.ProvisionedThroughput))
      errors.push(`${at}.ProvisionedThroughput: required unless BillingMode is PAY_PER_REQUEST`);
  } else {
    errors.push(`${at}.BillingMode: must be PAY_PER_REQUEST or PROVISIONED`);
  }

  const ttl = p.TimeToLiveSpecification;
  if (ttl !== undefined) {
    if (!isObject(ttl) || typeof ttl.Enabled !== 'boolean')
      errors.push(`${at}.TimeToLiveSpecification: Enabled (boolean) required`);
    else if (ttl.Enabled && (typeof ttl.AttributeName !== 'string' || ttl.AttributeName.length === 0))
      errors.push(`${at}.TimeToLiveSpecification: AttributeName required when enabled`);
  }
  if (p.TableName !== undefined && (typeof p.TableName !== 'string' || !TABLE_NAME.test(p.TableName)))
    errors.push(`${at}.TableName: 3–255 characters of [A-Za-z0-9_.-]`);
  for (const flag of ['DeletionProtectionEnabled'] as const)
    if (p[flag] !== undefined && typeof p[flag] !== 'boolean') errors.push(`${at}.${flag}: boolean expected`);
  const pitr = p.PointInTimeRecoverySpecification;
  if (pitr !== undefined && (!isObject(pitr) || typeof pitr.PointInTimeRecoveryEnabled !== 'boolean'))
    errors.push(`${at}.PointInTimeRecoverySpecification: PointInTimeRecoveryEnabled (boolean) required`);
  const sse = p.SSESpecification;
  if (sse !== undefined && (!isObject(sse) || typeof sse.SSEEnabled !== 'boolean'))
    errors.push(`${at}.SSESpecification: SSEEnabled (boolean) required`);
  if (p.Tags !== undefined) {
    if (!Array.isArray(p.Tags)) errors.push(`${at}.Tags: array expected`);
    else
      p.Tags.forEach((t, i) => {
        if (!isObject(t) || typeof t.Key !== 'string' || typeof t.Value !== 'string')
          errors.push(`${at}.Tags[${i}]: Key and Value strings required`);
      });
  }
}

/**
 * Structural validation of a CloudFormation template holding DynamoDB tables: template anatomy,
 * logical ids, policies, `AWS::DynamoDB::Table` properties (key schema, attribute definitions, billing
 * mode, TTL, table name), and that every `Ref` / `Fn::GetAtt` points at an existing resource.
 * Returns the problems found (empty when valid).
 *
 * @example
 * const errors = validateTemplate(JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')));
 * if (errors.length) throw new Error(errors.join('\n'));
 */
export function validateTemplate(t: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(t)) return ['template: must be a JSON object'];
  for (const k of Object.keys(t)) if (!TOP_LEVEL.has(k)) errors.push(`${k}: unknown top-level section`);
  if (t.AWSTemplateFormatVersion !== '2010-09-09')
    errors.push('AWSTemplateFormatVersion: must be "2010-09-09"');
  if (t.Description !== undefined && (typeof t.Description !== 'string' || t.Description.length > 1024))
    errors.push('Description: string of at most 1024 characters');
  const size = new TextEncoder().encode(JSON.stringify(t)).length;
  if (size > MAX_TEMPLATE_BODY_BYTES) errors.push(`template: ${size} bytes, over ${MAX_TEMPLATE_BODY_BYTES}`);

  const resources = t.Resources;
  if (!isObject(resources) || Object.keys(resources).length === 0) {
    errors.push('Resources: required, at least one resource');
    return errors;
  }
  const types = new Map<string, string>();
  const names = new Set<string>();
  for (const [id, r] of Object.entries(resources)) {
    if (!LOGICAL_ID.test(id)) errors.push(`Resources.${id}: logical id must be alphanumeric`);
    if (!isObject(r)) {
      errors.push(`Resources.${id}: must be an object`);
      continue;
    }
    for (const k of Object.keys(r))
      if (!RESOURCE_KEYS.has(k)) errors.push(`Resources.${id}.${k}: unknown attribute`);
    if (typeof r.Type !== 'string' || !/^(AWS|Alexa|Custom)::[A-Za-z0-9]+(::[A-Za-z0-9]+)?$/.test(r.Type)) {
      errors.push(`Resources.${id}.Type: not a resource type`);
      continue;
    }
    types.set(id, r.Type);
    for (const pol of ['DeletionPolicy', 'UpdateReplacePolicy'] as const)
      if (r[pol] !== undefined && !POLICIES.has(String(r[pol])))
        errors.push(`Resources.${id}.${pol}: must be one of ${[...POLICIES].join(', ')}`);
    if (r.Type === 'AWS::DynamoDB::Table') {
      if (!isObject(r.Properties)) errors.push(`Resources.${id}.Properties: required`);
      else {
        checkTable(id, r.Properties, errors);
        const n = r.Properties.TableName;
        if (typeof n === 'string') {
          if (names.has(n)) errors.push(`Resources.${id}.Properties.TableName: ${n} used twice`);
          names.add(n);
        }
      }
    }
  }
  if (t.Outputs !== undefined) {
    if (!isObject(t.Outputs)) errors.push('Outputs: must be an object');
    else
      for (const [id, o] of Object.entries(t.Outputs)) {
        if (!LOGICAL_ID.test(id)) errors.push(`Outputs.${id}: logical id must be alphanumeric`);
        if (!isObject(o) || o.Value === undefined) errors.push(`Outputs.${id}: Value required`);
      }
  }
  for (const ref of references({ Resources: resources, Outputs: t.Outputs })) {
    const type = types.get(ref.id);
    if (type === undefined && !ref.id.startsWith('AWS::'))
      errors.push(`reference to unknown resource ${ref.id}`);
    else if (ref.attr !== undefined && type === 'AWS::DynamoDB::Table' && !TABLE_ATTRIBUTES.has(ref.attr))
      errors.push(`Fn::GetAtt ${ref.id}.${ref.attr}: not an attribute of AWS::DynamoDB::Table`);
  }
  return errors;
}

/**
 * Checks the template against the service contract: one table per environment named
 * `${prefix}${env}`, key `pk` (S, HASH) + `sk` (S, RANGE), TTL on `ttl`, on-demand billing.
 *
 * @example
 * contractErrors(toCloudFormation('chipid-')); // []
 */
export function contractErrors(t: CloudFormationTemplate, prefix: string = DEFAULT_TABLE_PREFIX): string[] {
  const errors: string[] = [];
  for (const def of TABLES) {
    const r = t.Resources[def.logicalId];
    if (r?.Type !== 'AWS::DynamoDB::Table') {
      errors.push(`${def.logicalId}: missing AWS::DynamoDB::Table`);
      continue;
    }
    const p = r.Properties;
    if (p.TableName !== tableName(prefix, def.env)) errors.push(`${def.logicalId}: table name`);
    if (
      JSON.stringify(p.KeySchema) !==
      JSON.stringify([
        { AttributeName: KEY.partition, KeyType: 'HASH' },
        { AttributeName: KEY.sort, KeyType: 'RANGE' },
      ])
    )
      errors.push(`${def.logicalId}: key schema must be pk HASH + sk RANGE`);
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (ttl?.AttributeName !== TTL_ATTRIBUTE || ttl.Enabled !== true)
      errors.push(`${def.logicalId}: TTL must be enabled on ${TTL_ATTRIBUTE}`);
    if (p.BillingMode !== 'PAY_PER_REQUEST') errors.push(`${def.logicalId}: billing must be PAY_PER_REQUEST`);
  }
  return errors;
}

/** Result of {@link checkCommittedTemplate}. */
export interface TemplateCheck {
  ok: boolean;
  problems: string[];
}

/**
 * Whether the committed `cloudformation.json` equals the generator output and is structurally valid.
 *
 * @example
 * const { ok, problems } = checkCommittedTemplate();
 */
export function checkCommittedTemplate(path: string = TEMPLATE_PATH): TemplateCheck {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, problems: [`${path}: missing (run npx tsx infra/deploy/cloudformation.ts)`] };
  }
  const problems: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${path}: not JSON`] };
  }
  // Compared as data: the committed file is laid out by the repo's formatter (Biome).
  if (JSON.stringify(parsed) !== JSON.stringify(toCloudFormation()))
    problems.push(`${path}: differs from the generator output (run npx tsx infra/deploy/cloudformation.ts)`);
  problems.push(...validateTemplate(parsed));
  if (problems.length === 0) problems.push(...contractErrors(parsed as CloudFormationTemplate));
  return { ok: problems.length === 0, problems };
}

/** Lays a generated file out the way `biome check` wants it (best effort: the content is what counts). */
export function formatWithBiome(path: string): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'format', '--write', path],
    {
      cwd: root,
      stdio: 'ignore',
    },
  );
}

async function main(argv: string[]): Promise<number> {
  const rel = relative(process.cwd(), TEMPLATE_PATH);
  if (argv.includes('--check')) {
    const { ok, problems } = checkCommittedTemplate();
    for (const p of problems) console.error(p);
    if (ok) console.log(`${rel}: up to date and valid`);
    return ok ? 0 : 1;
  }
  const text = renderTemplate();
  const errors = [...validateTemplate(JSON.parse(text)), ...contractErrors(JSON.parse(text))];
  if (errors.length > 0) {
    for (const e of errors) console.error(e);
    return 1;
  }
  writeFileSync(TEMPLATE_PATH, text);
  formatWithBiome(TEMPLATE_PATH);
  console.log(`wrote ${rel}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
