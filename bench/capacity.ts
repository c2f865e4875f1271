/**
 * `npm run capacity -- --rate <verifications/s> --clients <n> [--zipf <s>]` — the DynamoDB load and
 * monthly cost of a traffic level, from the items each request touches as measured on DynamoDB Local
 * (`bench/capacity-records.json`, written by `test/integration/capacity-records.test.ts`).
 *
 * Traffic: `rate` verifications per second, each preceded by a challenge (`--challenge-share`, default
 * 1: CCCD chips answer Active Authentication), every POST with an Idempotency-Key (as the SDK sends
 * them); the clients' shares follow a Zipf law of exponent `--zipf` (default 1.1): the largest client
 * sends 1/H(n, s) of the traffic (≈ 18 % of it for 1,000 clients at s = 1.1). Each client's quota is
 * set to its share (`rateLimitPerMinute`), so its item is kept in `rateShards(quota)` copies
 * (`functions/src/store/clients.ts`). The trust-store version is read by each isolate once per
 * TRUST_RECHECK_SECONDS (`--isolates`, default 1,000 isolates serving at once: an assumption, not a
 * measurement). Per partition key the load is summed over every item under that key, against
 * DynamoDB's limits per partition: 3,000 read units and 1,000 write units per second (AWS DynamoDB
 * Developer Guide, "Best practices for designing and using partition keys effectively",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
 *
 * Prices (read 2026-12-07 from the stored copies of the vendors' pages; pass others with the flags):
 * DynamoDB on-demand, US East (N. Virginia), Standard table class, since the price cut of 2024-11-01:
 * $0.625 per million write request units, $0.125 per million read request units, $0.25 per GB-month
 * (https://aws.amazon.com/dynamodb/pricing/on-demand/; other regions, ap-southeast-1 included, cost
 * more: its table is on that page). Cloudflare Workers Paid, Standard usage model: $5 a month with
 * 10 million requests and 30 million CPU-ms included, then $0.30 per million requests and $0.02 per
 * million CPU-ms (https://developers.cloudflare.com/workers/platform/pricing/).
 *
 * The last line of the output is one JSON object (the figures for scripts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rateShards } from '../functions/src/store/clients.ts';
import {
  type Access,
  type CapacityRecords,
  PARTITION_READ_LIMIT,
  PARTITION_WRITE_LIMIT,
  scopeOf,
  zipfShares,
} from './lib/capacity.ts';

export const PRICES = {
  date: '2026-12-07',
  dynamodb: { region: 'us-east-1', wruPerMillion: 0.625, rruPerMillion: 0.125, gbMonth: 0.25 },
  workers: {
    monthly: 5,
    includedRequests: 10e6,
    perMillionRequests: 0.3,
    includedCpuMs: 30e6,
    perMillionCpuMs: 0.02,
  },
} as const;

/**
 * Default per-table throughput quota of on-demand tables, read and write request units per second
 * (adjustable in Service Quotas; AWS DynamoDB Developer Guide, "Troubleshooting throttling in on-demand
 * mode", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingThrottlingOnDemand.html).
 */
export const DEFAULT_TABLE_QUOTA = 40_000;

/** workerd CPU per verification end to end (bench/RESULTS.md, "End to end", main run at 46a80f9). */
export const CPU_MS_PER_VERIFICATION = 2.46;
/** workerd CPU per challenge request: not measured on its own; an assumption (token check + one write). */
export const CPU_MS_PER_CHALLENGE = 0.5;
/** Storage overhead DynamoDB adds per item (AWS: 100 bytes per item for indexing). */
const ITEM_OVERHEAD_BYTES = 100;
const SECONDS_PER_MONTH = 30 * 86_400;

export interface ModelOptions {
  rate: number;
  clients: number;
  zipf: number;
  isolates: number;
  challengeShare: number;
  trustRecheckSeconds?: number;
  /** The `AUDIT_LANES` binding (default: the code's, as recorded). */
  auditLanes?: number;
}

interface KeyLoad {
  partition: string;
  /** Which key of that pattern carries this load. */
  which: string;
  read: number;
  write: number;
}

/** The load at every partition pattern's hottest key, units per verification, and the cost. */
export function model(records: CapacityRecords, o: ModelOptions) {
  const r = records.requests;
  const challenge = r.challenge;
  const verification = r.verification;
  const trustCheck = r['verification-trust-check'];
  if (!challenge || !verification || !trustCheck) throw new Error('capacity records: missing request kinds');
  const recheck = o.trustRecheckSeconds ?? records.settings.trustRecheckSeconds;
  const lanes = o.auditLanes ?? records.settings.auditLanes;
  const shares = zipfShares(o.clients, o.zipf);
  const top = o.rate * shares[0]!;
  const requestsPerVerification = 1 + o.challengeShare;
  const topQuota = Math.ceil(top * requestsPerVerification * 60);
  const topShards = rateShards(topQuota);
  // Trust-version reads: each isolate at most once per recheck period (never more than one per verification).
  const trustChecksPerSecond = recheck === 0 ? o.rate : Math.min(o.rate, o.isolates / recheck);
  const trustAccesses = trustCheck.accesses.filter((a) => a.partition === 'TRUST');

  /** [accesses, how many of them per verification]. */
  const mix: [Access[], number][] = [
    [challenge.accesses, o.challengeShare],
    [verification.accesses, 1],
    [trustAccesses, trustChecksPerSecond / o.rate],
  ];
  const loads = new Map<string, KeyLoad>();
  let rcu = 0;
  let wcu = 0;
  for (const [accesses, perVerification] of mix) {
    for (const a of accesses) {
      const units = a.units * perVerification;
      if (a.access === 'read') rcu += units;
      else wcu += units;
      const scope = scopeOf(a.partition);
      let perSecond: number;
      let which: string;
      if (scope.kind === 'global') {
        perSecond = units * o.rate;
        which = 'the one key of the environment';
      } else if (scope.kind === 'own') {
        // A key of one request (or one citizen): touched by that request alone, whatever the rate.
        perSecond = a.units;
        which = 'one request’s own key';
      } else {
        const spread = scope.spread === 'shards' ? topShards : scope.spread === 'lanes' ? lanes : 1;
        perSecond = (units * top) / spread;
        which =
          scope.spread === 'shards'
            ? `largest client, 1 of ${topShards} copies`
            : scope.spread === 'lanes'
              ? `largest client, 1 of ${lanes} lanes`
              : 'largest client';
      }
      const id = a.partition;
      const l = loads.get(id) ?? { partition: id, which, read: 0, write: 0 };
      if (a.access === 'read') l.read += perSecond;
      else l.write += perSecond;
      loads.set(id, l);
    }
  }
  const all = [...loads.values()];
  const hottest = (k: 'read' | 'write') => all.reduce((a, b) => (b[k] > a[k] ? b : a));
  const hr = hottest('read');
  const hw = hottest('write');

  // Cost per million verifications (marginal: no free allowances) and for a month at this rate.
  const p = PRICES;
  const dynamoPerMillion = rcu * p.dynamodb.rruPerMillion + wcu * p.dynamodb.wruPerMillion;
  const kept = verification.accesses.filter(
    (a) => a.access === 'write' && (a.partition === 'VER#<id>' || a.sort.startsWith('SEQ#')),
  );
  const bytesKept = kept.reduce((s, a) => s + a.bytes + ITEM_OVERHEAD_BYTES, 0);
  const storagePerMillion = ((bytesKept * 1e6) / 2 ** 30) * p.dynamodb.gbMonth;
  const cpuMs = CPU_MS_PER_VERIFICATION + o.challengeShare * CPU_MS_PER_CHALLENGE;
  const workersPerMillion =
    requestsPerVerification * p.workers.perMillionRequests + cpuMs * p.workers.perMillionCpuMs;
  const usdPerMillion = dynamoPerMillion + workersPerMillion + storagePerMillion;
  const perMonth = o.rate * SECONDS_PER_MONTH;
  const monthly = {
    dynamodbThroughput: (perMonth / 1e6) * dynamoPerMillion,
    dynamodbStorageAdded: (perMonth / 1e6) * storagePerMillion,
    workers:
      p.workers.monthly +
      (Math.max(0, perMonth * requestsPerVerification - p.workers.includedRequests) / 1e6) *
        p.workers.perMillionRequests +
      (Math.max(0, perMonth * cpuMs - p.workers.includedCpuMs) / 1e6) * p.workers.perMillionCpuMs,
  };
  return {
    rate: o.rate,
    clients: o.clients,
    zipf: o.zipf,
    isolates: o.isolates,
    largestClientPerSecond: top,
    largestClientShards: topShards,
    auditLanes: lanes,
    trustRecheckSeconds: recheck,
    rcuPerVerification: rcu,
    wcuPerVerification: wcu,
    loads: all,
    tableReadUnitsPerSec: rcu * o.rate,
    tableWriteUnitsPerSec: wcu * o.rate,
    hottestReadKey: hr.partition,
    hottestReadUnitsPerSec: hr.read,
    hottestWriteKey: hw.partition,
    hottestWriteUnitsPerSec: hw.write,
    usdPerMillion,
    usdPerMillionParts: {
      dynamodb: dynamoPerMillion,
      workers: workersPerMillion,
      storage: storagePerMillion,
    },
    usdPerMonth: monthly.dynamodbThroughput + monthly.dynamodbStorageAdded + monthly.workers,
    usdPerMonthParts: monthly,
    storageGbPerMonth: (bytesKept * perMonth) / 2 ** 30,
  };
}

/** The registry at a size: items, table size, a full load and a daily delta (write units, time, cost). */
export function registryModel(records: CapacityRecords, citizens: number, tableWriteUnitsPerSecond: number) {
  const imp = records.requests['registry-import'];
  if (!imp) throw new Error('capacity records: no registry-import');
  const writes = imp.accesses.filter((a) => a.access === 'write');
  const persons = writes.filter((a) => a.partition === 'CIT#<citizen>').length;
  const unitsPerPerson = writes.reduce((s, a) => s + a.units, 0) / persons;
  const bytesPerPerson = writes.reduce((s, a) => s + a.bytes + ITEM_OVERHEAD_BYTES, 0) / persons;
  const gb = (citizens * bytesPerPerson) / 2 ** 30;
  const fullUnits = citizens * unitsPerPerson;
  const delta = citizens * 0.01;
  return {
    citizens,
    itemsPerCitizen: writes.length / persons,
    bytesPerCitizen: bytesPerPerson,
    tableGb: gb,
    storageUsdPerMonth: gb * PRICES.dynamodb.gbMonth,
    writeUnitsPerCitizen: unitsPerPerson,
    fullLoad: {
      writeUnits: fullUnits,
      usd: (fullUnits / 1e6) * PRICES.dynamodb.wruPerMillion,
      hoursAtTableRate: fullUnits / tableWriteUnitsPerSecond / 3600,
    },
    dailyDelta: {
      citizens: delta,
      writeUnits: delta * unitsPerPerson,
      usd: ((delta * unitsPerPerson) / 1e6) * PRICES.dynamodb.wruPerMillion,
      minutesAtTableRate: (delta * unitsPerPerson) / tableWriteUnitsPerSecond / 60,
    },
  };
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function main() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      clients: { type: 'string' },
      zipf: { type: 'string', default: '1.1' },
      isolates: { type: 'string', default: '1000' },
      'challenge-share': { type: 'string', default: '1' },
      'trust-recheck': { type: 'string' },
      'audit-lanes': { type: 'string' },
      citizens: { type: 'string', default: '1e8' },
      'table-write-units': { type: 'string', default: '40000' },
      records: { type: 'string', default: new URL('./capacity-records.json', import.meta.url).pathname },
    },
  });
  const num = (name: string, v: string | undefined, min = 0) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) {
      console.error(`capacity: --${name} must be a number ≥ ${min}`);
      process.exit(2);
    }
    return n;
  };
  const records = JSON.parse(readFileSync(values.records, 'utf8')) as CapacityRecords;
  const o: ModelOptions = {
    rate: num('rate', values.rate, 1e-9),
    clients: Math.floor(num('clients', values.clients, 1)),
    zipf: num('zipf', values.zipf),
    isolates: num('isolates', values.isolates, 1),
    challengeShare: num('challenge-share', values['challenge-share']),
    ...(values['trust-recheck'] !== undefined
      ? { trustRecheckSeconds: num('trust-recheck', values['trust-recheck']) }
      : {}),
    ...(values['audit-lanes'] !== undefined
      ? { auditLanes: Math.floor(num('audit-lanes', values['audit-lanes'], 2)) }
      : {}),
  };
  const m = model(records, o);
  const reg = registryModel(
    records,
    num('citizens', values.citizens, 1),
    num('table-write-units', values['table-write-units'], 1),
  );

  console.log(
    `${fmt(o.rate)} verifications/s over ${fmt(o.clients)} clients (Zipf s = ${o.zipf}); the largest sends ${fmt(m.largestClientPerSecond)}/s` +
      ` (+ ${fmt(m.largestClientPerSecond * o.challengeShare)} challenges/s), its item kept in ${m.largestClientShards} copies;` +
      ` ${m.auditLanes} audit lanes; ${fmt(o.isolates)} isolates checking the trust version every ${m.trustRecheckSeconds} s`,
  );
  console.log('');
  console.log(
    '| partition key | hottest key | read units/s | write units/s | of the limit (3,000 R / 1,000 W) |',
  );
  console.log('|---|---|---|---|---|');
  for (const l of [...m.loads].sort(
    (a, b) => Math.max(b.read / 3, b.write) - Math.max(a.read / 3, a.write),
  )) {
    const pct = Math.max(l.read / PARTITION_READ_LIMIT, l.write / PARTITION_WRITE_LIMIT) * 100;
    console.log(
      `| \`${l.partition}\` | ${l.which} | ${fmt(l.read, 1)} | ${fmt(l.write, 1)} | ${fmt(pct, 1)} % |`,
    );
  }
  console.log('');
  console.log(
    `per verification (with its challenge): ${fmt(m.rcuPerVerification, 2)} read units, ${fmt(m.wcuPerVerification, 2)} write units` +
      ` (transactions count twice); ${fmt(m.storageGbPerMonth, 1)} GB a month kept (outcomes + audit entries)`,
  );
  console.log(
    `whole table: ${fmt(m.tableReadUnitsPerSec)} read and ${fmt(m.tableWriteUnitsPerSec)} write units/s` +
      ` (default on-demand table quota: ${fmt(DEFAULT_TABLE_QUOTA)} each; a new on-demand table starts at 4,000 writes/s and doubles its previous peak)`,
  );
  console.log(
    `cost per million verifications: $${fmt(m.usdPerMillion, 2)} (DynamoDB on-demand $${fmt(m.usdPerMillionParts.dynamodb, 2)},` +
      ` Workers $${fmt(m.usdPerMillionParts.workers, 2)}, a month's storage of what they keep $${fmt(m.usdPerMillionParts.storage, 3)});` +
      ` a month at this rate: $${fmt(m.usdPerMonth)} (prices of ${PRICES.date}, DynamoDB ${PRICES.dynamodb.region})`,
  );
  console.log(
    `registry of ${fmt(reg.citizens)} citizens: ${fmt(reg.tableGb, 1)} GB ($${fmt(reg.storageUsdPerMonth)} a month);` +
      ` full load ${fmt(reg.fullLoad.writeUnits)} write units ($${fmt(reg.fullLoad.usd)}), ${fmt(reg.fullLoad.hoursAtTableRate, 1)} h at ${fmt(Number(values['table-write-units']))} units/s;` +
      ` daily 1 % delta ${fmt(reg.dailyDelta.writeUnits)} units ($${fmt(reg.dailyDelta.usd, 2)}), ${fmt(reg.dailyDelta.minutesAtTableRate, 1)} min`,
  );
  const { loads: _loads, ...summary } = m;
  console.log(JSON.stringify({ ...summary, registry: reg }));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
