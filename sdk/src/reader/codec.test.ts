/**
 * APDU encoding (ISO/IEC 7816-4 §5.1: the four cases, short and extended), TLV lengths of a file's first
 * bytes, and the robustness of every parser a chip's answer reaches: random bytes only ever give a
 * ReaderError (fast-check), never a crash or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChipIdError } from '../errors.ts';
import { parseSecurityInfos } from '../icao/dg14.ts';
import { fromHex, toHex } from '../lib/bytes.ts';
import { decodeResponse, encodeCommand } from './apdu.ts';
import { parseDataObjects } from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import { tlvTotalLength } from './files.ts';
import { SecureChannel } from './sm.ts';
import { PlainChannel } from './transport.ts';

const hex = (b: Uint8Array) => toHex(b).toUpperCase();

describe('encodeCommand', () => {
  it('cases 1–4, short', () => {
    expect(hex(encodeCommand({ cla: 0, ins: 0xa4, p1: 0, p2: 0x0c }))).toBe('00A4000C');
    expect(hex(encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0, ne: 8 }))).toBe('0084000008');
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 }))).toBe('00B0000000');
    expect(hex(encodeCommand({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011e') }))).toBe(
      '00A4020C02011E',
    );
    expect(hex(encodeCommand({ cla: 0, ins: 0x88, p1: 0, p2: 0, data: fromHex('0102'), ne: 256 }))).toBe(
      '00880000020102' + '00',
    );
  });
  it('cases 2 and 4, extended (Le 0000 = 65 536), and forced extended', () => {
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 65536 }))).toBe('00B00000000000');
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 1000 }))).toBe('00B000000003E8');
    const data = new Uint8Array(300);
    const e = encodeCommand({ cla: 0x0c, ins: 0x86, p1: 0, p2: 0, data, ne: 256 });
    expect(hex(e.subarray(0, 7))).toBe('0C86000000012C');
    expect(hex(e.subarray(e.length - 2))).toBe('0100');
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 16 }, true))).toBe('00B00000000010');
  });
  it('decodeResponse needs a status word', () => {
    expect(decodeResponse(fromHex('019000'))).toEqual({ data: fromHex('01'), sw: 0x9000 });
    expect(() => decodeResponse(fromHex('90'))).toThrow(ReaderError);
  });
});

describe('tlvTotalLength', () => {
  it('short, 81, 82 and two-byte tags; undefined until the header is complete', () => {
    expect(tlvTotalLength(fromHex('6014'))).toBe(22);
    expect(tlvTotalLength(fromHex('7782041b'))).toBe(4 + 0x041b);
    expect(tlvTotalLength(fromHex('6D81C8'))).toBe(3 + 0xc8);
    expect(tlvTotalLength(fromHex('7F6182'))).toBeUndefined();
    expect(tlvTotalLength(fromHex('7F61820100'))).toBe(5 + 256);
    expect(tlvTotalLength(fromHex('75'))).toBeUndefined();
    expect(() => tlvTotalLength(fromHex('758500000000'))).toThrow(ReaderError);
  });
});

describe('garbage from a chip never crashes a parser', () => {
  it('parseDataObjects, tlvTotalLength, parseSecurityInfos: a result or a ChipIdError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        for (const f of [() => parseDataObjects(b), () => tlvTotalLength(b), () => parseSecurityInfos(b)]) {
          try {
            f();
          } catch (e) {
            expect(isChipIdError(e)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('secure messaging: any answer is either verified or a ReaderError; random answers never verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 2, maxLength: 80 }), async (answer) => {
        const ch = new PlainChannel({ transceive: async () => answer });
        const sm = new SecureChannel(
          ch,
          { cipher: 'AES-128', ksEnc: new Uint8Array(16), ksMac: new Uint8Array(16) },
          new Uint8Array(16),
        );
        try {
          const r = await sm.send({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 16 });
          // Only an unprotected error status may come back unverified, and it carries no data.
          expect(r.data.length).toBe(0);
          expect(r.sw === 0x9000 || r.sw >> 8 === 0x62).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(ReaderError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('PlainChannel', () => {
  it('61xx: GET RESPONSE until the answer is complete (ISO/IEC 7816-4 §5.3.4)', async () => {
    const { ScriptedCard } = await import('./test/scripted-card.ts');
    const card = new ScriptedCard([
      { command: '0C880000 0D 01020304050607080910111213 00'.replace(/ /g, ''), response: 'AABB6104' },
      { command: '00C0000004', response: 'CCDDEEFF6102' },
      { command: '00C0000002', response: '11229000' },
    ]);
    const ch = new PlainChannel(card);
    const r = await ch.send({
      cla: 0x0c,
      ins: 0x88,
      p1: 0,
      p2: 0,
      data: fromHex('01020304050607080910111213'),
      ne: 256,
    });
    expect(hex(r.data)).toBe('AABBCCDDEEFF1122');
    expect(r.sw).toBe(0x9000);
    expect(card.mismatches).toEqual([]);
    expect(ch.counters.apdus).toBe(3);
  });
});
