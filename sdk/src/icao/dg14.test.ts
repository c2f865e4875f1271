import { describe, expect, it } from 'vitest';
import { onlyChipIdErrors, vector } from '../../../test/support/fuzz.ts';
import { parseOne } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { int, nul, octets, oid, seq, setOf, tlv } from '../asn1/writer.ts';
import type { ChipIdError } from '../errors.ts';
import { concat } from '../lib/bytes.ts';
import { aaHashFromDG14, parseDG14 } from './dg14.ts';

// BSI TR-03105-5 ReferenceDataSet DG14 (test/vectors/SOURCES.md): CA public key (id-PK-ECDH, explicit
// brainpoolP224r1 parameters), ChipAuthenticationInfo (id-CA-ECDH-3DES-CBC-CBC v1), TerminalAuthenticationInfo v1.
const DG14 = vector('bsi-tr03105/Datagroup14.bin');

const code = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (e) {
    return (e as ChipIdError).code;
  }
};

describe('parseDG14 (Doc 9303 Part 11 §9.2)', () => {
  it('classifies the BSI TR-03105 SecurityInfos', () => {
    const { securityInfos, activeAuthentication } = parseDG14(DG14);
    expect(activeAuthentication).toBeUndefined();
    expect(securityInfos.map((s) => [s.kind, s.oid])).toEqual([
      ['chipAuthenticationPublicKey', '0.4.0.127.0.7.2.2.1.2'],
      ['chipAuthentication', '0.4.0.127.0.7.2.2.3.2.1'],
      ['terminalAuthentication', '0.4.0.127.0.7.2.2.2'],
    ]);
    const [pk, ca, ta] = securityInfos;
    if (
      pk?.kind !== 'chipAuthenticationPublicKey' ||
      ca?.kind !== 'chipAuthentication' ||
      ta?.kind !== 'terminalAuthentication'
    )
      throw new Error('unexpected kinds');
    expect(pk.spki.length).toBe(0x113 + 4);
    expect(parseOne(pk.spki).id).toBe(0x30);
    expect(pk.keyId).toBeUndefined();
    expect(ca.version).toBe(1);
    expect(ta.version).toBe(1);
  });

  const aa = (alg: string) => seq(oid(OID.idAA), int(1), oid(alg));
  const file = (...infos: Uint8Array[]) => tlv(0x6e, setOf(...infos));

  it('reads ActiveAuthenticationInfo, PACEInfo, domain parameters and keeps unknown protocols', () => {
    const d = parseDG14(
      file(
        aa(OID.ecdsaPlainSHA384),
        seq(oid('0.4.0.127.0.7.2.2.4.2.2'), int(2), int(13)),
        seq(oid('0.4.0.127.0.7.2.2.4.2'), seq(oid('0.4.0.127.0.7.1.2'), nul())),
        seq(oid('0.4.0.127.0.7.2.2.3.2.4'), int(1), int(7)),
        seq(oid('1.2.3.4'), octets(Uint8Array.of(1, 2))),
      ),
    );
    expect(d.activeAuthentication).toMatchObject({
      kind: 'activeAuthentication',
      version: 1,
      signatureAlgorithm: OID.ecdsaPlainSHA384,
    });
    expect(d.securityInfos.map((s) => s.kind).sort()).toEqual(
      ['activeAuthentication', 'chipAuthentication', 'pace', 'paceDomainParameters', 'unknown'].sort(),
    );
    expect(d.securityInfos.find((s) => s.kind === 'pace')).toMatchObject({ version: 2, parameterId: 13 });
    expect(d.securityInfos.find((s) => s.kind === 'chipAuthentication')).toMatchObject({
      version: 1,
      keyId: 7,
    });
    expect(d.securityInfos.find((s) => s.kind === 'unknown')).toMatchObject({ oid: '1.2.3.4' });
    expect(aaHashFromDG14(d)).toBe('SHA-384');
  });

  it('maps the AA signature algorithm to a hash, SHA-256 without DG14', () => {
    expect(aaHashFromDG14(undefined)).toBe('SHA-256');
    expect(aaHashFromDG14(parseDG14(DG14))).toBe('SHA-256');
    expect(aaHashFromDG14(parseDG14(file(aa(OID.ecdsaPlainSHA1))))).toBe('SHA-1');
    expect(aaHashFromDG14(parseDG14(file(aa(OID.ecdsaWithSHA512))))).toBe('SHA-512');
    expect(code(() => aaHashFromDG14(parseDG14(file(aa(OID.sha256WithRSAEncryption)))))).toBe(
      'ERR_DG14_INVALID',
    );
  });

  it('rejects malformed known SecurityInfos with ERR_DG14_INVALID', () => {
    expect(code(() => parseDG14(file(seq(oid(OID.idAA), int(1)))))).toBe('ERR_DG14_INVALID');
    expect(code(() => parseDG14(file(seq(oid('0.4.0.127.0.7.2.2.4.2.2'), oid('1.2')))))).toBe(
      'ERR_DG14_INVALID',
    );
    expect(code(() => parseDG14(file(seq(oid('0.4.0.127.0.7.2.2.1.2'), int(1)))))).toBe('ERR_DG14_INVALID');
    expect(code(() => parseDG14(file(seq(oid(OID.idTA)))))).toBe('ERR_DG14_INVALID');
    expect(code(() => parseDG14(tlv(0x6e, seq(seq(oid(OID.idTA), int(1))))))).toBe('ERR_DG14_INVALID');
    expect(code(() => parseDG14(concat(DG14, Uint8Array.of(1))))).toBe('ERR_LDS_INVALID');
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG14, DG14, 500);
  });
});
