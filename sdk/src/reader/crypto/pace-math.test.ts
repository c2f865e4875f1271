/**
 * PACE mapping arithmetic against Doc 9303 Part 11's worked examples: Appendix G.1 (ECDH-GM on
 * brainpoolP256r1), G.2 (DH-GM on the RFC 5114 1024-bit group), H.1 (ECDH-IM on brainpoolP256r1),
 * and the domain parameter table (every id: the generator lies in a subgroup of the stated order).
 */
import { describe, expect, it } from 'vitest';
import { bytesToBigInt, fromHex, modPow, toHex } from '../../lib/bytes.ts';
import {
  checkDHPublic,
  type DHDomain,
  decodePoint,
  dhGenericMap,
  dhIntegratedMap,
  dhPower,
  type ECDomain,
  ecGenericMap,
  ecIntegratedMap,
  encodeDHPublic,
  encodePoint,
  imFieldElement,
  imPseudoRandom,
  PACE_PARAMETER_NAMES,
  paceDomain,
} from './pace-math.ts';

const h = (s: string) => fromHex(s.replace(/\s+/g, ''));
const hex = (b: Uint8Array) => toHex(b).toUpperCase();
const big = (s: string) => bytesToBigInt(h(s));

describe('standardized domain parameters (Doc 9303 Part 11 §9.5.1)', () => {
  it('every id: EC generator on the curve with order n; DH generator of order q', () => {
    for (const id of Object.keys(PACE_PARAMETER_NAMES).map(Number)) {
      const d = paceDomain(id);
      expect(d.name).toBe(PACE_PARAMETER_NAMES[id as keyof typeof PACE_PARAMETER_NAMES]);
      if (d.kind === 'ec') {
        const G = d.Point.BASE;
        G.assertValidity();
        expect(
          G.multiply(d.n - 1n)
            .add(G)
            .is0(),
        ).toBe(true);
      } else {
        expect(modPow(d.g, d.q, d.p)).toBe(1n);
        expect(d.g).not.toBe(1n);
      }
    }
  });
  it('reserved ids are refused with ERR_PROTOCOL_UNSUPPORTED', () => {
    expect(() => paceDomain(3)).toThrow(/unknown standardized domain parameters/);
    expect(() => paceDomain(31)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL_UNSUPPORTED' }));
  });
});

describe('Appendix G.1 — ECDH Generic Mapping, brainpoolP256r1', () => {
  const d = paceDomain(13) as ECDomain;
  const s = h('3F00C4D39D153F2B2A214A078D899B22');
  it('mapping keys, mapped generator, agreement keys and the shared secret', () => {
    const mapPriv = big('7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99');
    expect(hex(encodePoint(d, d.Point.BASE.multiply(mapPriv)))).toBe(
      '047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D',
    );
    const chipMap = decodePoint(
      d,
      h(
        '04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54',
      ),
    );
    const G2 = ecGenericMap(d, s, chipMap.multiply(mapPriv));
    expect(hex(encodePoint(d, G2))).toBe(
      '048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522',
    );
    const agrPriv = big('A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595');
    expect(hex(encodePoint(d, G2.multiply(agrPriv)))).toBe(
      '042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462',
    );
    const chipAgr = decodePoint(
      d,
      h(
        '049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094',
      ),
    );
    expect(hex(encodePoint(d, chipAgr.multiply(agrPriv)).subarray(1, 33))).toBe(
      '28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925',
    );
  });
  it('refuses points off the curve and malformed encodings', () => {
    const bad = h(
      '049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F095',
    );
    expect(() => decodePoint(d, bad)).toThrow(expect.objectContaining({ code: 'ERR_SECURE_MESSAGING' }));
    expect(() => decodePoint(d, h('0401'))).toThrow(/uncompressed/);
  });
});

describe('Appendix G.2 — DH Generic Mapping, RFC 5114 1024-bit MODP group (parameterId 0)', () => {
  const d = paceDomain(0) as DHDomain;
  it('mapping, mapped generator, agreement and the shared secret', () => {
    const mapPriv = big('5265030F751F4AD18B08AC565FC7AC952E41618D');
    expect(hex(encodeDHPublic(d, dhPower(d, d.g, mapPriv)))).toBe(
      '23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C',
    );
    const chipMap = checkDHPublic(
      d,
      big(
        '78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6',
      ),
    );
    const g2 = dhGenericMap(d, h('FA5B7E3E49753A0DB9178B7B9BD898C8'), dhPower(d, chipMap, mapPriv));
    expect(hex(encodeDHPublic(d, g2))).toBe(
      '7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5',
    );
    const agrPriv = big('89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA');
    expect(hex(encodeDHPublic(d, dhPower(d, g2, agrPriv)))).toBe(
      '907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4',
    );
    const chipAgr = big(
      '075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1',
    );
    expect(hex(encodeDHPublic(d, dhPower(d, chipAgr, agrPriv)))).toBe(
      '6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E38B834B6A9E9CD7184BA8834AFF5043D436950C4C1E7832367C10CB8C314D40E5990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD',
    );
  });
  it('refuses public values outside the subgroup', () => {
    expect(() => checkDHPublic(d, 1n)).toThrow(/subgroup/);
    expect(() => checkDHPublic(d, 2n)).toThrow(/subgroup/);
  });
});

describe('Appendix H.1 — ECDH Integrated Mapping, brainpoolP256r1, AES-128', () => {
  const d = paceDomain(13) as ECDomain;
  const s = h('2923BE84E16CD6AE529049F1F1BBE9EB');
  const t = h('5DD4CBFC96F5453B130D890A1CDBAE32');
  it('R(s,t), R_p(s,t) and the encoded point', () => {
    expect(hex(imPseudoRandom('AES-128', s, t, d.p))).toBe(
      'E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322',
    );
    expect(imFieldElement('AES-128', s, t, d.p)).toBe(
      big('A2F8FF2DF50E52C6599F386ADCB595D229F6A167ADE2BE5F2C3296ADD5B7430E'),
    );
    expect(hex(encodePoint(d, ecIntegratedMap(d, 'AES-128', s, t)))).toBe(
      '048E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D4274C1AE14BD0C3DBAC0C871B7F3608169364437CA30AC243A089D3F266C1E60FAD',
    );
  });
  it('the terminal key on the mapped generator is the example’s', () => {
    const G2 = ecIntegratedMap(d, 'AES-128', s, t);
    const priv = big('A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595');
    expect(hex(encodePoint(d, G2.multiply(priv)))).toBe(
      '0489CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D46755DE9B7B778280B6BEBD57439ADFEB0E21FD4ED6DF42578C13418A59B34C37',
    );
  });
  it('lands on the curve on every p ≡ 3 mod 4 curve, and P-224 is refused', () => {
    for (const id of [8, 9, 11, 12, 13, 14, 15, 16, 17, 18]) {
      const dom = paceDomain(id) as ECDomain;
      ecIntegratedMap(dom, 'AES-128', s, t).assertValidity();
      ecIntegratedMap(dom, '3DES', s, t).assertValidity();
    }
    expect(() => ecIntegratedMap(paceDomain(10) as ECDomain, 'AES-128', s, t)).toThrow(/not defined/);
  });
});

describe("Appendix H.2 — DH Integrated Mapping, RFC 5114 1024-bit MODP, AES-128 (values as in public readers' tests)", () => {
  it('g~ = R_p(s, t)^((p−1)/q) mod p', () => {
    const d = paceDomain(0) as DHDomain;
    const g2 = dhIntegratedMap(
      d,
      'AES-128',
      h('FA5B7E3E49753A0DB9178B7B9BD898C8'),
      h('B3A6DB3C870C3E99245E0D1C06B747DE'),
    );
    expect(hex(encodeDHPublic(d, g2))).toBe(
      '1D7D767F11E333BCD6DBAEF40E799E7A926B96973550656FF3C830726D118D61C276CDCC61D475CF03A98E0C0E79CAEBA5BE25578BD4551D0B10903236F0B0F976852FA78EEA14EA0ACA87D1E91F688FE0DFF897BBE35A472621D343564B262F34223AE8FC59B664BFEDFA2BFE7516CA5510A6BBB633D517EC25D4E0BBAA16C2',
    );
  });
});
