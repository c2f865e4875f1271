/**
 * The virtual card against ICAO Doc 9303 Part 11's worked examples, byte for byte: a card holding the
 * appendix's keys and drawing the appendix's nonces must give the appendix's answers to the appendix's
 * commands.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../lib/bytes.ts';
import { mrzCheckDigit } from '../mrz.ts';
import { VirtualCard, type VirtualCardImage } from './card.ts';
import { resolveSetup } from './index.ts';

/** A random source answering the given values in order (the appendix's nonces and keys). */
function scripted(...values: string[]): (n: number) => Uint8Array {
  const queue = values.map(fromHex);
  return (n) => {
    const v = queue.shift();
    if (!v || v.length !== n) throw new Error(`scripted random: asked ${n} bytes, have ${v?.length}`);
    return v;
  };
}

const mrzInfo = (doc: string, dob: string, doe: string) =>
  `${doc}${mrzCheckDigit(doc)}${dob}${mrzCheckDigit(dob)}${doe}${mrzCheckDigit(doe)}`;

async function send(card: VirtualCard, hex: string): Promise<string> {
  return toHex(await card.transceive(fromHex(hex))).toUpperCase();
}

describe('Doc 9303 Part 11 Appendix D — BAC and secure messaging, card side', () => {
  // Source: ICAO Doc 9303 Part 11 (8th ed.) Appendix D.2–D.4 (also quoted in gmrtd bac/bac_test.go).
  const image: VirtualCardImage = {
    files: { com: fromHex('60145F0104303130365F36063034303030305C026175') },
    mrzInformation: 'L898902C<369080619406236',
  };

  it('answers GET CHALLENGE, EXTERNAL AUTHENTICATE and the protected SELECT / READ BINARY as the appendix', async () => {
    expect(mrzInfo('L898902C<', '690806', '940623')).toBe(image.mrzInformation);
    const card = new VirtualCard(
      image,
      resolveSetup({ profile: 'bac' }),
      // RND.IC, then K.IC (Appendix D.3).
      scripted('4608F91988702212', '0B4F80323EB3191CB04970CB4052790B'),
    );
    expect(await send(card, '00A4040C07A0000002471001')).toBe('9000');
    expect(await send(card, '0084000008')).toBe('4608F919887022129000');
    expect(
      await send(
        card,
        '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
      ),
    ).toBe('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000');
    expect(card.session).toEqual({ accessControl: 'bac', cipher: '3DES' });
    // D.4: SELECT EF.COM, READ BINARY of the first 4 bytes, then the remaining 18.
    expect(await send(card, '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800')).toBe(
      '990290008E08FA855A5D4C50A8ED9000',
    );
    expect(await send(card, '0CB000000D9701048E08ED6705417E96BA5500')).toBe(
      '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000',
    );
    expect(await send(card, '0CB000040D9701128E082EA28A70F3C7B53500')).toBe(
      '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
    );
    expect(card.stats.failedAccessAttempts).toBe(0);
  });

  it('refuses a wrong MRZ key with 6300 and counts the attempt', async () => {
    const card = new VirtualCard(
      { ...image, mrzInformation: mrzInfo('L898902C<', '690806', '940624') },
      resolveSetup({ profile: 'bac' }),
      scripted('4608F91988702212'),
    );
    await send(card, '0084000008');
    expect(
      await send(
        card,
        '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
      ),
    ).toBe('6300');
    expect(card.stats.failedAccessAttempts).toBe(1);
    expect(card.session).toBeUndefined();
    // No session: a protected command is refused, the file unreadable in plain.
    expect(await send(card, '0CB000000D9701048E08ED6705417E96BA5500')).toBe('6987');
  });

  it('ends the session on a wrong command MAC (6988, in plain) and on a plain command', async () => {
    const card = new VirtualCard(
      image,
      resolveSetup({ profile: 'bac' }),
      scripted('4608F91988702212', '0B4F80323EB3191CB04970CB4052790B'),
    );
    await send(card, '0084000008');
    await send(
      card,
      '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
    );
    // The SELECT of D.4 with one MAC bit flipped.
    expect(await send(card, '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F900')).toBe('6988');
    expect(card.session).toBeUndefined();
    expect(card.stats.sessionsAborted).toBe(1);
    // Without the session the same (genuine) command cannot be checked any more.
    expect(await send(card, '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800')).toBe('6987');
  });
});

describe('Doc 9303 Part 11 Appendix G.1 — PACE ECDH-GM brainpoolP256r1 AES-128, card side', () => {
  // Source: ICAO Doc 9303 Part 11 (8th ed.) Appendix G.1: MRZ T22000129 / 640812 / 101031, the chip's
  // nonce s, mapping key SK_Map,IC and ephemeral key SK_IC; the terminal's APDUs as a reader sends them
  // (also in gmrtd pace/pace_test.go TestDoPace_GM_ECDH).
  const chipRandom = () =>
    scripted(
      '3F00C4D39D153F2B2A214A078D899B22',
      '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560',
      '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A',
    );
  const image: VirtualCardImage = {
    files: { com: fromHex('60145F0104303130365F36063034303030305C026175') },
    mrzInformation: mrzInfo('T22000129', '640812', '101031'),
  };
  const steps: [string, string][] = [
    ['0022C1A412800A04007F0007020204020283010184010D', '9000'],
    ['10860000027C0000', '7C12801095A3A016522EE98D01E76CB6B98B42C39000'],
    [
      '10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00',
      '7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000',
    ],
    [
      '10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200',
      '7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000',
    ],
    ['008600000C7C0A8508C2B0BD78D94BA86600', '7C0A86083ABB9674BCE93C089000'],
  ];

  it('answers the four GENERAL AUTHENTICATE steps as the appendix (z, PK_Map,IC, PK_IC, T_IC)', async () => {
    const card = new VirtualCard(image, resolveSetup({ profile: 'pace-gm' }), chipRandom());
    for (const [command, answer] of steps) expect(await send(card, command)).toBe(answer);
    expect(card.session).toEqual({ accessControl: 'pace', cipher: 'AES-128' });
  });

  it('refuses a wrong token T_PCD with 6300, counts it, and opens no session', async () => {
    const card = new VirtualCard(image, resolveSetup({ profile: 'pace-gm' }), chipRandom());
    for (const [command, answer] of steps.slice(0, 4)) expect(await send(card, command)).toBe(answer);
    expect(await send(card, '008600000C7C0A8508C2B0BD78D94BA86700')).toBe('6300');
    expect(card.stats.failedAccessAttempts).toBe(1);
    expect(card.session).toBeUndefined();
  });

  it('takes the PACE steps in order: a last step sent chained is refused', async () => {
    const card = new VirtualCard(image, resolveSetup({ profile: 'pace-gm' }), chipRandom());
    await send(card, steps[0]![0]);
    expect(await send(card, '00860000027C0000')).toBe('6985');
  });

  it('a CCCD-like card refuses PACE with the MRZ password (6982) and names the CAN instead', async () => {
    const card = new VirtualCard(
      { ...image, can: '123456' },
      resolveSetup({ profile: 'cccd' }),
      chipRandom(),
    );
    expect(await send(card, '0022C1A412800A04007F0007020204020283010184010D')).toBe('6982');
    expect(await send(card, '0022C1A412800A04007F0007020204020283010284010D')).toBe('9000');
  });
});
