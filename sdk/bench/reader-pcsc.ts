/**
 * The PC/SC row of `npm run bench:reader`: a full CCCD read (PACE-CAN + CA + AA) through a real pcscd
 * (PC/SC Part 5 SCardTransmit, T=1) and vsmartcard's virtual reader, the APDU virtual card plugged in
 * over vpcd's socket from this process — beside the same read in-process (wall time per read).
 *
 * Needs root, pcscd, vsmartcard-vpcd and the smartcard binding (test/support/pcsc-stack.ts); without
 * them the row says why. Short APDUs with the card's own ATR; extended length with an ATR whose card
 * capabilities announce it (ISO/IEC 7816-4 §12.1.1.9), as a card that takes them would present.
 */
import { openPcscTransport } from '../../sdk/src/cli/pcsc.ts';
import {
  pcscStackUnavailable,
  startPcscStack,
  VPCD_READERS,
  waitForCard,
} from '../../test/support/pcsc-stack.ts';
import { connectVpcd, type VpcdCard } from '../../test/support/vpcd.ts';
import { readChip } from '../src/reader/read-chip.ts';
import type { ChipTransport } from '../src/reader/transport.ts';
import type { SandboxCard } from '../src/sandbox/factory.ts';
import { type VirtualCard, virtualCard } from '../src/sandbox/virtual-card/index.ts';

/** One way of reading: APDUs per read and wall time. */
export interface PathFigures {
  apdus: number;
  msPerRead: number;
  msPerApdu: number;
}

/** The PC/SC row (or why it could not run). */
export type PcscBench =
  | { skipped: string }
  | {
      vpcdHost: string;
      rounds: number;
      inProcess: { short: PathFigures; extended: PathFigures };
      pcsc: { short: PathFigures; extended: PathFigures };
    };

/** Pseudo-ATR (PC/SC Part 3 §3.1.3.2.3) with compact-TLV card capabilities: extended Lc/Le (0x40). */
const EXTENDED_ATR = (() => {
  const body = [0x3b, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40];
  let tck = 0;
  for (const b of body.slice(1)) tck ^= b;
  return Uint8Array.from([...body, tck]);
})();

async function timeReads(
  rounds: number,
  open: (extended: boolean) => Promise<{ t: ChipTransport; close(): Promise<void> }>,
  extended: boolean,
  can: string,
  challenge: Uint8Array,
): Promise<PathFigures> {
  let apdus = 0;
  let ms = 0;
  for (let i = 0; i < rounds + 1; i++) {
    const { t, close } = await open(extended);
    const t0 = performance.now();
    const r = await readChip(t, { key: { can }, challenge });
    const dt = performance.now() - t0;
    await close();
    if (r.chipAuthentication !== 'passed' || r.activeAuthentication !== 'answered')
      throw new Error('bench: incomplete read');
    if (i === 0) continue; // warm-up
    apdus += r.counters.apdus;
    ms += dt;
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { apdus: apdus / rounds, msPerRead: r2(ms / rounds), msPerApdu: r2(ms / apdus) };
}

/**
 * Measures a full read of `card` in-process and through pcscd, `rounds` reads each (after one warm-up).
 *
 * @example
 * const row = await pcscBench(card, can, challenge, 5);
 */
export async function pcscBench(
  card: SandboxCard,
  can: string,
  challenge: Uint8Array,
  rounds: number,
): Promise<PcscBench> {
  const why = await pcscStackUnavailable();
  if (why) return { skipped: why };
  const fresh = (extended: boolean): VirtualCard =>
    virtualCard(card, { profile: 'cccd', seed: 'bench-pcsc', extendedLength: extended });

  const inProcess = {
    short: await timeReads(
      rounds,
      async (e) => ({ t: fresh(e), close: async () => {} }),
      false,
      can,
      challenge,
    ),
    extended: await timeReads(
      rounds,
      async (e) => ({ t: fresh(e), close: async () => {} }),
      true,
      can,
      challenge,
    ),
  };

  const stack = await startPcscStack();
  let current = fresh(false);
  let atr = current.atr;
  const slot: VpcdCard = {
    get atr() {
      return atr;
    },
    transceive: (c) => current.transceive(c),
    powerOn: () => current.powerOn(),
    powerOff: () => current.powerOff(),
    reset: () => current.reset(),
  };
  const conn = await connectVpcd(slot, 35963, stack.vpcdHost);
  const reader = VPCD_READERS[35963];
  try {
    await waitForCard(reader);
    const open = async (extended: boolean) => {
      current = fresh(extended);
      const t = await openPcscTransport(reader);
      if (t.extendedLength !== extended)
        throw new Error(`bench: the PC/SC transport's extendedLength is ${t.extendedLength}`);
      return { t, close: () => t.close() };
    };
    const short = await timeReads(rounds, open, false, can, challenge);
    // A card that takes extended APDUs announces it in its ATR: re-insert the card with that ATR.
    await conn.close();
    await waitForCard(reader, false);
    atr = EXTENDED_ATR;
    const conn2 = await connectVpcd(slot, 35963, stack.vpcdHost);
    try {
      await waitForCard(reader);
      const extended = await timeReads(rounds, open, true, can, challenge);
      return { vpcdHost: stack.vpcdHost, rounds, inProcess, pcsc: { short, extended } };
    } finally {
      await conn2.close();
    }
  } finally {
    await conn.close();
    await stack.stop();
  }
}
