import { describe, expect, it } from 'vitest';
import { onlyChipIdErrors, vector } from '../../../test/support/fuzz.ts';
import { int, oid, seq, tlv } from '../asn1/writer.ts';
import type { ChipIdError } from '../errors.ts';
import { equalBytes } from '../lib/bytes.ts';
import { parseDG15 } from './dg15.ts';

// BSI TR-03105-5 ReferenceDataSet DG15 (RSA-1024) and DG15_pk.bin, its SubjectPublicKeyInfo alone.
const BSI = vector('bsi-tr03105/Datagroup15.bin');
const BSI_PK = vector('bsi-tr03105/DG15_pk.bin');
// A real Slovenian passport's DG15 (ZeroPass port-py-server test vectors; test/vectors/SOURCES.md).
const SI = vector('slovenia-passport/ef.dg15_ef.sod_si_454CB206.bin');

describe('parseDG15 (Doc 9303 Part 11 §6.1)', () => {
  it('reads the BSI TR-03105 RSA-1024 key', () => {
    const { spki, key } = parseDG15(BSI);
    expect(equalBytes(spki, BSI_PK)).toBe(true);
    expect(spki.buffer).toBe(BSI.buffer); // a view into the input
    if (key.kind !== 'rsa') throw new Error('expected RSA');
    expect(key.bits).toBe(1024);
    expect(key.e).toBe(65537n);
    expect(key.n.toString(16).startsWith('8130e120bb785a45')).toBe(true);
  });

  it('reads the Slovenian passport key', () => {
    const { key } = parseDG15(SI);
    expect(key.kind).toBe('rsa');
    if (key.kind === 'rsa') expect(key.bits).toBe(1024);
  });

  it('rejects other files and non-keys', () => {
    const code = (b: Uint8Array) => {
      try {
        parseDG15(b);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(code(vector('bsi-tr03105/Datagroup14.bin'))).toBe('ERR_LDS_UNEXPECTED_TAG');
    expect(code(tlv(0x6f, seq(int(1))))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f, BSI_PK, BSI_PK))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f, seq(seq(oid('1.2.3')), tlv(0x03, Uint8Array.of(0, 1)))))).toBe(
      'ERR_ALG_UNSUPPORTED',
    );
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG15, BSI, 400);
  });
});
