/**
 * `npx tsx bench/capacity-import.ts [--persons 100000] [--streams 1,4]` — the registry import rate of the
 * existing admin path (`POST /admin/v1/registry/{env}/import`: JSONL parsed, keys HMAC'd, upserted in
 * BatchWriteItem chunks of 25) on DynamoDB Local, measured in one run: the Worker's app in this process,
 * its own DynamoDB Local in memory, synthetic citizens and cards (`syntheticRegistryLines`) posted in
 * chunks of 5,000 persons, one or several requests in flight. Prints persons and items per second per
 * setting and, last, one JSON line. docs/capacity.md extrapolates from it with DynamoDB's limits.
 */
import './lib/quiet-aws.ts';
import { parseArgs } from 'node:util';
import { dynamoClient, startDynamoDBLocal } from '../infra/src/dynamodb-local.ts';
import { createTables } from '../infra/src/tables.ts';
import { syntheticRegistryLines } from './lib/fixtures.ts';
import { startInProcess } from './lib/inprocess.ts';

const CHUNK = 5_000;

async function main() {
  const { values } = parseArgs({
    options: { persons: { type: 'string', default: '100000' }, streams: { type: 'string', default: '1,4' } },
  });
  const persons = Number(values.persons);
  const settings = values.streams.split(',').map(Number);
  const local = await startDynamoDBLocal({});
  const rows: {
    streams: number;
    persons: number;
    seconds: number;
    personsPerSecond: number;
    itemsPerSecond: number;
  }[] = [];
  try {
    const prefix = 'imp-';
    await createTables(dynamoClient(local.endpoint), { prefix, warn: () => {} });
    const svc = await startInProcess({ dynamo: { endpoint: local.endpoint, prefix } });
    const log = console.log;
    console.log = () => {}; // the request log
    let offset = 1_000_000;
    try {
      for (const streams of settings) {
        const chunks: number[] = [];
        for (let p = 0; p < persons; p += CHUNK) chunks.push(Math.min(CHUNK, persons - p));
        const t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: streams }, async () => {
            while (next < chunks.length) {
              const n = chunks[next++]!;
              const off = offset;
              offset += n;
              const res = await svc.admin(
                'POST',
                '/admin/v1/registry/sandbox/import',
                syntheticRegistryLines(off, n),
                'application/x-ndjson',
              );
              const j = (await res.json()) as { imported?: number; failed?: unknown[] };
              if (res.status !== 200 || j.imported !== 2 * n || j.failed?.length) {
                throw new Error(`import: ${res.status} ${JSON.stringify(j).slice(0, 200)}`);
              }
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        rows.push({
          streams,
          persons,
          seconds,
          personsPerSecond: persons / seconds,
          itemsPerSecond: (2 * persons) / seconds,
        });
      }
    } finally {
      console.log = log;
    }
  } finally {
    await local.stop();
  }
  console.log(
    `registry import on DynamoDB Local (${new Date().toISOString()}), chunks of ${CHUNK} persons (2 items each)`,
  );
  console.log('| requests in flight | persons | seconds | persons/s | items/s |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.streams} | ${r.persons} | ${r.seconds.toFixed(1)} | ${Math.round(r.personsPerSecond)} | ${Math.round(r.itemsPerSecond)} |`,
    );
  }
  console.log(JSON.stringify(rows));
}

await main();
