/**
 * The React Native example's NFC adapter (src/nfc-transport.ts) and its tap/re-tap flow
 * (src/read-card.ts), unit-tested with a fake react-native-nfc-manager module that forwards
 * `isoDepHandler.transceive` to the project's APDU virtual chip (CCCD profile: PACE-CAN, CA, AA).
 * What is checked: the Android set-up (IsoDep timeout ≥ 5 s, getMaxTransceiveLength as the size
 * hints), byte-identical reads, a tag lost mid-DG2 continued after a re-tap, iOS's 20 s session
 * limit, and a wrong CAN stopping at once (no re-tap: cards count failed attempts).
 */
import { type SandboxCard, virtualCard } from '@chipid/sdk/sandbox';
import type { NfcTech } from 'react-native-nfc-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCard } from '../../sdk/src/sandbox/factory.ts';
import {
  ANDROID_ISODEP_TIMEOUT_MS,
  IOS_SESSION_LIMIT_MS,
  ISO_DEP,
  type NfcModule,
  openNfcTransport,
} from './src/nfc-transport.ts';
import { HOLD_STILL, readCardWithRetaps, TAP_AGAIN } from './src/read-card.ts';

type Chip = ReturnType<typeof virtualCard>;

/** A fake NfcManager: each requestTechnology is a tap (the card powers up in the field). */
function fakeNfc(chip: Chip, opts: { maxTransceive?: number; onApdu?: () => void } = {}) {
  const calls = {
    requestTechnology: 0,
    setTimeout: [] as number[],
    getMaxTransceiveLength: 0,
    cancel: 0,
    invalidateWithError: [] as string[],
    alertMessages: [] as (string | undefined)[],
    apdus: 0,
    nonArrayInput: 0,
  };
  let connected = false;
  const nfc: NfcModule = {
    async requestTechnology(tech: NfcTech | NfcTech[], o?: { alertMessage?: string }) {
      calls.requestTechnology++;
      calls.alertMessages.push(o?.alertMessage);
      chip.powerOn();
      connected = true;
      return (Array.isArray(tech) ? tech[0] : tech) ?? null;
    },
    async cancelTechnologyRequest() {
      calls.cancel++;
      connected = false;
    },
    async invalidateSessionWithErrorIOS(message: string) {
      calls.invalidateWithError.push(message);
      connected = false;
    },
    async setAlertMessageIOS() {},
    async setTimeout(ms: number) {
      calls.setTimeout.push(ms);
    },
    async getMaxTransceiveLength() {
      calls.getMaxTransceiveLength++;
      return opts.maxTransceive ?? 261;
    },
    isoDepHandler: {
      async transceive(bytes: number[]) {
        if (!Array.isArray(bytes)) calls.nonArrayInput++;
        if (!connected) throw new Error('TagNotConnected');
        calls.apdus++;
        opts.onApdu?.();
        return Array.from(await chip.transceive(Uint8Array.from(bytes)));
      },
    },
  };
  return { nfc, calls };
}

const FILES = ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const;
const CHALLENGE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
let card: SandboxCard;
let can: string;

beforeAll(async () => {
  card = await makeCard({ profile: 'valid', seed: 'rn-adapter' });
  can = card.citizen.idNumber.slice(-6);
}, 60_000);

describe('React Native NFC adapter over the virtual chip', () => {
  it('Android: IsoDep timeout ≥ 5 s, getMaxTransceiveLength as the hints, a byte-identical CCCD read', async () => {
    const chip = virtualCard(card, { seed: 1 });
    const { nfc, calls } = fakeNfc(chip);
    const progress: string[] = [];
    const { read, taps } = await readCardWithRetaps({
      nfc,
      platform: 'android',
      key: { can },
      challenge: CHALLENGE,
      onProgress: (p) => progress.push(p.step),
    });
    expect(taps).toBe(1);
    expect(calls.setTimeout).toEqual([ANDROID_ISODEP_TIMEOUT_MS]);
    expect(calls.getMaxTransceiveLength).toBe(1);
    expect(calls.nonArrayInput).toBe(0);
    for (const k of FILES) expect(read.dump[k], k).toBe(card.dump[k]);
    expect(read.accessControl).toBe('pace');
    expect(read.chipAuthentication).toBe('passed');
    expect(read.activeAuthentication).toBe('answered');
    expect(read.counters.apdus).toBe(calls.apdus);
    expect(progress).toContain('pace');
    expect(progress.at(-1)).toBe('done');
    expect(calls.cancel).toBe(1); // the session is closed after the read
  });

  it('Android: a phone carrying extended APDUs says so through the hints', async () => {
    const chip = virtualCard(card, { seed: 2, extendedLength: true });
    const { nfc } = fakeNfc(chip, { maxTransceive: 65279 });
    const t = await openNfcTransport(nfc, { platform: 'android', timeoutMs: 8000 });
    expect(t.extendedLength).toBe(true);
    expect(t.maxCommandLength).toBe(65279);
    expect(t.maxResponseLength).toBe(65279);
    expect(t.remainingMs()).toBe(Number.POSITIVE_INFINITY);
    await t.close();
    const short = await openNfcTransport(fakeNfc(virtualCard(card, { seed: 3 })).nfc, {
      platform: 'android',
    });
    expect(short).toMatchObject({ extendedLength: false, maxCommandLength: 261, maxResponseLength: 258 });
    await short.close();
  });

  it('a tag lost mid-read: the user is asked to tap again and the read continues, byte-identical', async () => {
    // The chip leaves the field after 20 APDUs (PACE, CA and part of the files are done by then).
    const chip = virtualCard(card, { seed: 4, faults: { dropAfterApdus: 20 } });
    const { nfc, calls } = fakeNfc(chip);
    const retaps: number[] = [];
    const { read, taps } = await readCardWithRetaps({
      nfc,
      platform: 'android',
      key: { can },
      challenge: CHALLENGE,
      onRetap: (n) => retaps.push(n),
    });
    expect(taps).toBe(2);
    expect(retaps).toEqual([2]);
    expect(calls.requestTechnology).toBe(2);
    for (const k of FILES) expect(read.dump[k], k).toBe(card.dump[k]);
    // The whole read (both taps) took fewer APDUs than two full reads: the second tap did not start over.
    const fresh = await readCardWithRetaps({
      nfc: fakeNfc(virtualCard(card, { seed: 5 })).nfc,
      platform: 'android',
      key: { can },
    });
    expect(calls.apdus).toBeLessThan(2 * fresh.read.counters.apdus);
  });

  it('iOS: no APDU starts after the 20 s session limit; the read continues on the next tap', async () => {
    const chip = virtualCard(card, { seed: 6 });
    let clock = 0;
    // Each APDU costs 800 ms of (fake) time (a CCCD read is ~40 APDUs): a full read needs more than one 20 s session.
    const { nfc, calls } = fakeNfc(chip, { onApdu: () => (clock += 800) });
    const sessionStarts: number[] = [];
    const request = nfc.requestTechnology.bind(nfc);
    nfc.requestTechnology = async (tech, o) => {
      sessionStarts.push(clock);
      return request(tech, o);
    };
    const { read, taps } = await readCardWithRetaps({ nfc, platform: 'ios', key: { can }, now: () => clock });
    expect(taps).toBeGreaterThanOrEqual(2);
    for (const k of FILES) expect(read.dump[k], k).toBe(card.dump[k]);
    expect(calls.setTimeout).toEqual([]); // Android-only calls are not made on iOS
    expect(calls.getMaxTransceiveLength).toBe(0);
    expect(calls.alertMessages[0]).toBe(`${HOLD_STILL.vi}\n${HOLD_STILL.en}`);
    expect(calls.invalidateWithError[0]).toBe(`${TAP_AGAIN.vi}\n${TAP_AGAIN.en}`);
    // No session ran past the limit: the clock at each session's end is < start + 20 s.
    expect(sessionStarts.length).toBe(taps);
    for (let i = 1; i < sessionStarts.length; i++) {
      expect((sessionStarts[i] ?? 0) - (sessionStarts[i - 1] ?? 0)).toBeLessThanOrEqual(IOS_SESSION_LIMIT_MS);
    }
  });

  it('a wrong CAN stops at once with ERR_ACCESS_DENIED (no re-tap)', async () => {
    const chip = virtualCard(card, { seed: 7 });
    const { nfc, calls } = fakeNfc(chip);
    const wrong = can === '000000' ? '111111' : '000000';
    await expect(readCardWithRetaps({ nfc, platform: 'android', key: { can: wrong } })).rejects.toMatchObject(
      {
        code: 'ERR_ACCESS_DENIED',
      },
    );
    expect(calls.requestTechnology).toBe(1);
    expect(chip.stats.failedAccessAttempts).toBe(1);
  });

  it('a tag that is not ISO-DEP is refused before any APDU', async () => {
    const { nfc, calls } = fakeNfc(virtualCard(card, { seed: 8 }));
    nfc.requestTechnology = async () => 'NfcA' as NfcTech;
    await expect(openNfcTransport(nfc, { platform: 'android' })).rejects.toThrow(/not an ISO-DEP/);
    expect(calls.apdus).toBe(0);
    expect(ISO_DEP).toBe('IsoDep');
  });
});
