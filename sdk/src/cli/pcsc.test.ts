/**
 * The PC/SC module's pure parts (the whole path runs through pcscd in test/pcsc/pcsc-stack.test.ts):
 * reading extended-length support from an ATR (ISO/IEC 7816-3 §8.2 interface bytes, ISO/IEC 7816-4
 * §12.1.1.9 card capabilities) and the message when the optional binding is missing.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../lib/bytes.ts';
import { atrAnnouncesExtendedLength, loadPcscBinding } from './pcsc.ts';

describe('atrAnnouncesExtendedLength', () => {
  it('reads the card-capabilities byte behind the interface bytes', () => {
    // vsmartcard's ePass emulator (its README): TA1 TD1 TD2, historical 80 73 FF 01 00 → no extended length
    expect(atrAnnouncesExtendedLength(fromHex('3B951381018073FF01000B'))).toBe(false);
    // the same with the third software-function byte's b7 set (what its --extended announces)
    expect(atrAnnouncesExtendedLength(fromHex('3B951381018073FF01404B'))).toBe(true);
    // a PC/SC Part 3 pseudo-ATR for a contactless card (3B 8n 80 01 + ATS historical bytes) with 73 00 00 40
    expect(atrAnnouncesExtendedLength(fromHex('3B8580018073000040B7'))).toBe(true);
    // historical bytes that are not compact-TLV (category 'c' = 0x63: the project's virtual card)
    expect(atrAnnouncesExtendedLength(fromHex('3B888001636869706964564378'))).toBe(false);
  });

  it('never reads past a short or garbage ATR', () => {
    for (const atr of ['', '3B', '3BFF', '3B8F8001', '3BF0', '3B81808180']) {
      expect(atrAnnouncesExtendedLength(fromHex(atr))).toBe(false);
    }
  });
});

describe('loadPcscBinding', () => {
  it('a missing binding is ERR_CONFIG saying what to install', async () => {
    await expect(loadPcscBinding('chipid-no-such-pcsc-binding')).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringMatching(
        /is not installed.*apt-get install pcscd libpcsclite-dev.*npm install smartcard/,
      ),
    });
  });
});
