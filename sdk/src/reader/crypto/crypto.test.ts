/**
 * The reader's pure primitives against their standards' published vectors. Each block names its source.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { describe, expect, it } from 'vitest';
import { isChipIdError } from '../../errors.ts';
import { ascii, concat, fromHex, toHex } from '../../lib/bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesEncryptBlock } from './aes.ts';
import { desEncryptBlock, retailMac, tdesCbcDecrypt, tdesCbcEncrypt } from './des.ts';
import { kdf } from './kdf.ts';
import { pad, unpad } from './padding.ts';
import { do87, do99, incrementSSC, parseDataObjects, smDecrypt, smEncrypt, smMac } from './sm-codec.ts';

const h = (s: string) => fromHex(s.replace(/\s+/g, ''));
const hex = (b: Uint8Array) => toHex(b).toUpperCase();

describe('DES / 3DES', () => {
  it('FIPS 81 Appendix B (ECB and CBC, key 0123456789ABCDEF, "Now is the time for all ")', () => {
    const key = h('0123456789abcdef');
    const pt = h('4e6f772069732074 68652074696d6520 666f7220616c6c20');
    expect(hex(desEncryptBlock(key, pt.subarray(0, 8)))).toBe('3FA40E8A984D4815');
    expect(hex(desEncryptBlock(key, pt.subarray(8, 16)))).toBe('6A271787AB8883F9');
    expect(hex(desEncryptBlock(key, pt.subarray(16, 24)))).toBe('893D51EC4B563B53');
  });

  it('NIST SP 800-67 Rev. 1 Appendix B: TDEA with three keys ("The qufck brown fox jump")', () => {
    const key = h('0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123');
    const blocks = ['5468652071756663', '6B2062726F776E20', '666F78206A756D70'];
    const expected = ['A826FD8CE53B855F', 'CCE21C8112256FE6', '68D5C05DD9B6B900'];
    const zero = new Uint8Array(8);
    blocks.forEach((b, i) => {
      expect(hex(tdesCbcEncrypt(key, zero, h(b)))).toBe(expected[i]);
      expect(hex(tdesCbcDecrypt(key, zero, h(expected[i]!)))).toBe(b);
    });
  });

  it('Doc 9303 Part 11 Appendix D.3: E_IFD = 3DES(K_Enc, S) and M_IFD = retail MAC(K_MAC, E_IFD)', () => {
    const kEnc = h('AB94FDECF2674FDFB9B391F85D7F76F2');
    const kMac = h('7962D9ECE03D1ACD4C76089DCE131543');
    const S = h('781723860C06C226 4608F91988702212 0B795240CB7049B01C19B33E32804F0B');
    const eIfd = tdesCbcEncrypt(kEnc, new Uint8Array(8), S);
    expect(hex(eIfd)).toBe('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2');
    expect(hex(retailMac(kMac, pad(eIfd, 8)))).toBe('5F1448EEA8AD90A7');
    expect(hex(tdesCbcDecrypt(kEnc, new Uint8Array(8), eIfd))).toBe(hex(S));
  });

  it('refuses bad key, IV and block lengths with a typed error', () => {
    expect(() => tdesCbcEncrypt(new Uint8Array(8), new Uint8Array(8), new Uint8Array(8))).toThrow(/16 or 24/);
    expect(() => tdesCbcEncrypt(new Uint8Array(16), new Uint8Array(4), new Uint8Array(8))).toThrow(/IV/);
    try {
      retailMac(new Uint8Array(16), new Uint8Array(7));
      expect.unreachable();
    } catch (e) {
      expect(isChipIdError(e) && e.code).toBe('ERR_SECURE_MESSAGING');
    }
  });
});

describe('AES', () => {
  it('FIPS 197 Appendix C.1–C.3 (AES-128/192/256, plaintext 00112233…)', () => {
    const pt = h('00112233445566778899aabbccddeeff');
    const key = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    expect(hex(aesEncryptBlock(key(16), pt))).toBe('69C4E0D86A7B0430D8CDB78070B4C55A');
    expect(hex(aesEncryptBlock(key(24), pt))).toBe('DDA97CA4864CDFE06EAF70A0EC0D7191');
    expect(hex(aesEncryptBlock(key(32), pt))).toBe('8EA2B7CA516745BFEAFC49904B496089');
  });

  it('NIST SP 800-38A F.2.1/F.2.2 CBC-AES128', () => {
    const key = h('2b7e151628aed2a6abf7158809cf4f3c');
    const iv = h('000102030405060708090a0b0c0d0e0f');
    const pt = h('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51');
    const ct = aesCbcEncrypt(key, iv, pt);
    expect(hex(ct)).toBe('7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2');
    expect(hex(aesCbcDecrypt(key, iv, ct))).toBe(hex(pt));
  });

  it('RFC 4493 §4 AES-CMAC examples 1–4', () => {
    const key = h('2b7e151628aed2a6abf7158809cf4f3c');
    const m = h(
      '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
    );
    expect(hex(aesCmac(key, new Uint8Array(0)))).toBe('BB1D6929E95937287FA37D129B756746');
    expect(hex(aesCmac(key, m.subarray(0, 16)))).toBe('070A16B46B4D4144F79BDD9DD04A287C');
    expect(hex(aesCmac(key, m.subarray(0, 40)))).toBe('DFA66747DE9AE63030CA32611497C827');
    expect(hex(aesCmac(key, m))).toBe('51F0BEBF7E3B9D92FC49741779363CFE');
  });

  it('refuses bad key lengths with a typed error', () => {
    expect(() => aesCmac(new Uint8Array(15), new Uint8Array(0))).toThrow(/16, 24 or 32/);
  });
});

describe('ISO/IEC 9797-1 padding method 2', () => {
  it('pads with 80 then zeros, always at least one byte', () => {
    expect(hex(pad(h('0102'), 8))).toBe('0102800000000000');
    expect(hex(pad(h('0102030405060708'), 8))).toBe('01020304050607088000000000000000');
    expect(hex(pad(new Uint8Array(0), 16))).toBe('80000000000000000000000000000000');
  });
  it('unpads, and refuses data without the 80 marker', () => {
    expect(hex(unpad(h('0102800000000000')))).toBe('0102');
    expect(() => unpad(h('0102000000000000'))).toThrow(/padding/);
    expect(() => unpad(new Uint8Array(8))).toThrow(/padding/);
  });
});

describe('KDF (Doc 9303 Part 11 §9.7.1)', () => {
  it('Appendix D.2: BAC K_Enc / K_MAC from K_seed (3DES, parity adjusted)', () => {
    const seed = h('239AB9CB282DAF66231DC5A4DF6BFBAE');
    expect(hex(kdf(seed, 1, '3DES'))).toBe('AB94FDECF2674FDFB9B391F85D7F76F2');
    expect(hex(kdf(seed, 2, '3DES'))).toBe('7962D9ECE03D1ACD4C76089DCE131543');
  });
  it('Appendix D.3: BAC session keys from K.IFD xor K.IC', () => {
    const kIfd = h('0B795240CB7049B01C19B33E32804F0B');
    const kIc = h('0B4F80323EB3191CB04970CB4052790B');
    const seed = kIfd.map((b, i) => b ^ kIc[i]!);
    expect(hex(kdf(seed, 1, '3DES'))).toBe('979EC13B1CBFE9DCD01AB0FED307EAE5');
    expect(hex(kdf(seed, 2, '3DES'))).toBe('F1CB1F1FB5ADF208806B89DC579DC1F8');
  });
  it('Appendix G.1: Kπ = KDF(SHA-1(MRZ information), 3) and the session keys (AES-128)', () => {
    const fpi = sha1(ascii('T22000129364081251010318'));
    expect(hex(fpi)).toBe('7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD');
    expect(hex(kdf(fpi, 3, 'AES-128'))).toBe('89DED1B26624EC1E634C1989302849DD');
    const k = h('28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925');
    expect(hex(kdf(k, 1, 'AES-128'))).toBe('F5F0E35C0D7161EE6724EE513A0D9A7F');
    expect(hex(kdf(k, 2, 'AES-128'))).toBe('FE251C7858B356B24514B3BD5F4297D1');
  });
  it('Appendix G.2 (DH-GM) and Appendix I (Chip Authentication) session keys', () => {
    const dh = h(
      `6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E3 8B834B6A9E9CD7184BA8834AFF5043D436950C4C1E7832367C10CB8C314D40E5
       990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E 465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD`,
    );
    expect(hex(kdf(dh, 1, 'AES-128'))).toBe('2F7F46ADCC9E7E521B45D192FAFA9126');
    expect(hex(kdf(dh, 2, 'AES-128'))).toBe('805A1D27D45A5116F73C54469462B7D8');
    const ca = h('67950559D0C06B4D4B86972D14460837461087F8419FDBC36AAF6CEAAC462832');
    expect(hex(kdf(ca, 1, 'AES-128'))).toBe('0A9DA4DB03BDDE39FC5202BC44B2E89E');
    expect(hex(kdf(ca, 2, 'AES-128'))).toBe('4B1C06491ED5140CA2B537D344C6C0B1');
  });
  it('lengths follow the cipher (SHA-256 for AES-192/256)', () => {
    const k = h('00112233445566778899AABBCCDDEEFF');
    expect(kdf(k, 1, 'AES-192').length).toBe(24);
    expect(kdf(k, 1, 'AES-256').length).toBe(32);
  });
});

describe('secure messaging codec — Doc 9303 Part 11 Appendix D.4 (3DES)', () => {
  const keys = {
    cipher: '3DES',
    ksEnc: h('979EC13B1CBFE9DCD01AB0FED307EAE5'),
    ksMac: h('F1CB1F1FB5ADF208806B89DC579DC1F8'),
  } as const;
  const ssc0 = h('887022120C06C226');

  it('SELECT EF.COM: DO87, MAC and the whole protected command', () => {
    const ssc = incrementSSC(ssc0);
    expect(hex(ssc)).toBe('887022120C06C227');
    const cg = smEncrypt(keys, ssc, h('011E'));
    expect(hex(cg)).toBe('6375432908C044F6');
    const d87 = do87(cg);
    const mac = smMac(keys, ssc, concat(pad(h('0CA4020C'), 8), d87));
    expect(hex(mac)).toBe('BF8B92D635FF24F8');
  });

  it('the response: DO99 ‖ DO8E verifies under SSC + 2', () => {
    const ssc = incrementSSC(incrementSSC(ssc0));
    const dos = parseDataObjects(h('990290008E08FA855A5D4C50A8ED'));
    expect(dos.map((d) => d.tag)).toEqual([0x99, 0x8e]);
    expect(hex(smMac(keys, ssc, dos[0]!.raw))).toBe(hex(dos[1]!.value));
    expect(hex(do99(0x9000))).toBe('99029000');
  });

  it('READ BINARY answer: DO87 decrypts to the first 4 bytes of EF.COM', () => {
    // SSC after SELECT (…C228), READ BINARY command …C229, its response …C22A
    const ssc = h('887022120C06C22A');
    const dos = parseDataObjects(h('8709019FF0EC34F9922651990290008E08AD55CC17140B2DED'));
    expect(hex(smMac(keys, ssc, concat(dos[0]!.raw, dos[1]!.raw)))).toBe('AD55CC17140B2DED');
    expect(hex(unpad(smDecrypt(keys, ssc, dos[0]!.value.subarray(1))))).toBe('60145F01');
  });

  it('incrementSSC carries and wraps', () => {
    expect(hex(incrementSSC(h('00FF')))).toBe('0100');
    expect(hex(incrementSSC(h('FFFF')))).toBe('0000');
  });

  it('parseDataObjects refuses truncated objects', () => {
    expect(() => parseDataObjects(h('8708010203'))).toThrow(/truncated/);
    expect(() => parseDataObjects(h('87'))).toThrow(/truncated/);
    expect(() => parseDataObjects(h('8785'))).toThrow(/length/);
  });
});
