/**
 * `npm run bench:reader` — the chip reader on a full CCCD read (PACE-CAN + Chip Authentication + Active
 * Authentication + EF.COM, EF.SOD, DG1, DG2 of 15 KB, DG13, DG14, DG15) against the APDU-level virtual
 * card: APDUs and bytes exchanged with short APDUs and with extended length, beside a naive reader that
 * SELECTs each file and reads 0xA0 bytes at a time; and the reader's CPU per read, measured on a replay
 * of the recorded exchange (the card's own work left out), in Node and with Web Crypto removed (the
 * Hermes case: the reader is pure JavaScript either way). Not a test: prints figures, then one JSON line.
 *
 * Targets (issue 17): ≤ 110 APDUs short, ≤ 25 extended; ≤ 50 ms CPU per read in Node.
 */

import { parseDG14, parseSecurityInfos } from '../src/icao/dg14.ts';
import { toHex } from '../src/lib/bytes.ts';
import { SW } from '../src/reader/apdu.ts';
import { chipAuthOffer, performChipAuthentication } from '../src/reader/chip-auth.ts';
import { paceProtocols, performPACE } from '../src/reader/pace.ts';
import { EMRTD_AID, readChip } from '../src/reader/read-chip.ts';
import { SecureChannel } from '../src/reader/sm.ts';
import { type ChipTransport, PlainChannel } from '../src/reader/transport.ts';
import { makeCard } from '../src/sandbox/factory.ts';
import { virtualCard } from '../src/sandbox/virtual-card/index.ts';
import { type PathFigures, pcscBench } from './reader-pcsc.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const CHALLENGE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const card = await makeCard({ profile: 'valid', seed: 'bench-reader', faceSize: 15_000 });
const can = card.citizen.idNumber.slice(-6);
const sizes = Object.fromEntries(
  (['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const).map((k) => [
    k,
    Buffer.from(card.dump[k] ?? '', 'base64').length,
  ]),
);

/** A seeded random source for the reader, so the exchange can be recorded and replayed. */
function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };
}

async function readOnce(extendedLength: boolean, transport?: ChipTransport) {
  const chip = virtualCard(card, { profile: 'cccd', seed: 'bench', extendedLength });
  const t = transport ?? chip;
  const r = await readChip(t, { key: { can }, challenge: CHALLENGE, random: seededRandom(42) });
  if (r.chipAuthentication !== 'passed' || r.activeAuthentication !== 'answered')
    throw new Error('bench: incomplete read');
  for (const k of Object.keys(sizes))
    if ((r.dump as Record<string, unknown>)[k] !== card.dump[k as 'sod'])
      throw new Error(`bench: ${k} differs`);
  return r;
}

/** The naive reader: PACE, then SELECT + READ BINARY 0xA0 per file (4-byte header read first), CA, AA. */
async function naive(): Promise<{ apdus: number; bytesSent: number; bytesReceived: number }> {
  const chip = virtualCard(card, { profile: 'cccd', seed: 'bench' });
  const ch = new PlainChannel(chip);
  const ca = await ch.send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(0x01, 0x1c) });
  if (ca.sw !== SW.OK) throw new Error('naive: select CardAccess');
  let access = new Uint8Array(0);
  for (let off = 0; ; off += 0xa0) {
    const r = await ch.send({ cla: 0, ins: 0xb0, p1: off >> 8, p2: off & 0xff, ne: 0xa0 });
    access = Buffer.concat([access, r.data]);
    if (r.data.length < 0xa0) break;
  }
  const protocol = paceProtocols(parseSecurityInfos(access))[0]!;
  const pace = await performPACE(ch, protocol, { kind: 'can', can }, seededRandom(7));
  let sm = new SecureChannel(ch, pace.keys, pace.ssc);
  await sm.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
  const readFile = async (fid: number) => {
    await sm.send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(fid >> 8, fid & 0xff) });
    const head = await sm.send({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 4 });
    const h = head.data;
    const len = h[1]! < 0x80 ? 2 + h[1]! : h[1] === 0x81 ? 3 + h[2]! : 4 + ((h[2]! << 8) | h[3]!);
    let data = h;
    while (data.length < len) {
      const r = await sm.send({
        cla: 0,
        ins: 0xb0,
        p1: data.length >> 8,
        p2: data.length & 0xff,
        ne: Math.min(0xa0, len - data.length),
      });
      data = Buffer.concat([data, r.data]);
    }
    return data;
  };
  await readFile(0x011e);
  await readFile(0x011d);
  const dg14 = await readFile(0x010e);
  const offer = chipAuthOffer(parseDG14(dg14).securityInfos)!;
  const keys = await performChipAuthentication(sm, offer, seededRandom(9));
  sm = new SecureChannel(ch, keys.keys, keys.ssc);
  for (const fid of [0x0101, 0x0102, 0x010d, 0x010f]) await readFile(fid);
  await sm.send({ cla: 0, ins: 0x88, p1: 0, p2: 0, data: CHALLENGE, ne: 256 });
  return { ...ch.counters };
}

/** Records the exchange of one read, then replays it: the reader's CPU without the card's. */
async function replayCpu(extendedLength: boolean, withoutWebCrypto: boolean): Promise<number> {
  const chip = virtualCard(card, { profile: 'cccd', seed: 'bench', extendedLength });
  const tape: [string, Uint8Array][] = [];
  const recorder: ChipTransport = {
    extendedLength: chip.extendedLength,
    maxResponseLength: chip.maxResponseLength,
    transceive: async (c) => {
      const r = await chip.transceive(c);
      tape.push([toHex(c), r]);
      return r;
    },
  };
  await readOnce(extendedLength, recorder);
  const real = globalThis.crypto;
  if (withoutWebCrypto)
    Object.defineProperty(globalThis, 'crypto', {
      value: { getRandomValues: real.getRandomValues.bind(real) },
      configurable: true,
    });
  try {
    const run = async () => {
      let i = 0;
      const player: ChipTransport = {
        extendedLength: chip.extendedLength,
        maxResponseLength: chip.maxResponseLength,
        transceive: async (c) => {
          const step = tape[i++];
          if (!step || step[0] !== toHex(c)) throw new Error('bench: replay diverged');
          return step[1];
        },
      };
      await readChip(player, { key: { can }, challenge: CHALLENGE, random: seededRandom(42) });
    };
    for (let k = 0; k < 3; k++) await run(); // warm-up
    const c0 = process.cpuUsage();
    for (let k = 0; k < ROUNDS; k++) await run();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / ROUNDS;
  } finally {
    Object.defineProperty(globalThis, 'crypto', { value: real, configurable: true });
  }
}

const short = (await readOnce(false)).counters;
const extended = (await readOnce(true)).counters;
const naiveCounters = await naive();
const cpuNode = await replayCpu(false, false);
const cpuNodeExt = await replayCpu(true, false);
const cpuPure = await replayCpu(false, true);
const pcsc = await pcscBench(card, can, CHALLENGE, Number(process.env.BENCH_PCSC_ROUNDS ?? 5));

const row = (label: string, c: { apdus: number; bytesSent: number; bytesReceived: number }) =>
  `${label.padEnd(44)} ${String(c.apdus).padStart(6)} ${String(c.bytesSent).padStart(9)} ${String(c.bytesReceived).padStart(10)}`;
console.log(`full CCCD read — files ${JSON.stringify(sizes)} (bytes)`);
console.log(
  `${'reader'.padEnd(44)} ${'APDUs'.padStart(6)} ${'bytes out'.padStart(9)} ${'bytes in'.padStart(10)}`,
);
console.log(row('chipid readChip, short APDUs', short));
console.log(row('chipid readChip, extended length', extended));
console.log(row('naive: SELECT each file, 0xA0 per READ', naiveCounters));
console.log(`reader CPU per read (replayed exchange, ${ROUNDS} rounds):`);
console.log(`  Node, short APDUs              ${cpuNode.toFixed(1)} ms`);
console.log(`  Node, extended length          ${cpuNodeExt.toFixed(1)} ms`);
console.log(`  without Web Crypto (Hermes-like) ${cpuPure.toFixed(1)} ms`);
console.log(
  `targets: ≤ 110 APDUs short (${short.apdus <= 110 ? 'met' : 'MISSED'}), ≤ 25 extended (${extended.apdus <= 25 ? 'met' : 'MISSED'}), ≤ 50 ms CPU in Node (${cpuNode <= 50 ? 'met' : 'MISSED'})`,
);
const wall = (label: string, f: PathFigures) =>
  `  ${label.padEnd(42)} ${f.apdus.toFixed(0).padStart(5)} APDUs ${f.msPerRead.toFixed(1).padStart(8)} ms/read ${f.msPerApdu.toFixed(2).padStart(7)} ms/APDU`;
if ('skipped' in pcsc) console.log(`PC/SC (pcscd + vpcd): not measured — ${pcsc.skipped}`);
else {
  console.log(
    `wall time per full read (${pcsc.rounds} reads each; PC/SC: pcscd + vpcd via ${pcsc.vpcdHost}):`,
  );
  console.log(wall('in-process virtual card, short APDUs', pcsc.inProcess.short));
  console.log(wall('in-process virtual card, extended length', pcsc.inProcess.extended));
  console.log(wall('PC/SC through pcscd, short APDUs', pcsc.pcsc.short));
  console.log(wall('PC/SC through pcscd, extended length', pcsc.pcsc.extended));
}
console.log(
  JSON.stringify({
    bench: 'reader',
    pcsc,
    files: sizes,
    short,
    extended,
    naive: naiveCounters,
    cpuMsPerRead: {
      node: Number(cpuNode.toFixed(2)),
      nodeExtended: Number(cpuNodeExt.toFixed(2)),
      withoutWebCrypto: Number(cpuPure.toFixed(2)),
    },
    rounds: ROUNDS,
  }),
);
