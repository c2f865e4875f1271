/**
 * Basic Access Control — Doc 9303 Part 11 §4.3 and Appendix D: GET CHALLENGE, EXTERNAL AUTHENTICATE
 * with E_IFD = 3DES(K_Enc, RND.IFD ‖ RND.IC ‖ K.IFD) and its retail MAC, the chip's answer checked,
 * session keys from K.IFD ⊕ K.IC, SSC = RND.IC[4..8] ‖ RND.IFD[4..8].
 */
import { deriveBACKeys } from '../icao/bac.ts';
import { SW, swHex } from './apdu.ts';
import { retailMac, tdesCbcDecrypt, tdesCbcEncrypt } from './crypto/des.ts';
import { kdf } from './crypto/kdf.ts';
import { pad } from './crypto/padding.ts';
import { equalMac, type SMKeys } from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import type { PlainChannel } from './transport.ts';

/** Session keys and the starting send sequence counter. */
export interface SessionKeys {
  readonly keys: SMKeys;
  readonly ssc: Uint8Array;
}

/** Whether a status word says the key was wrong (or the card stopped accepting it). */
export function isAccessDenied(sw: number): boolean {
  return (
    sw === SW.VERIFICATION_FAILED ||
    sw >> 4 === 0x63c ||
    sw === SW.SECURITY_STATUS_NOT_SATISFIED ||
    sw === SW.AUTHENTICATION_BLOCKED ||
    sw === SW.REFERENCE_DATA_UNUSABLE
  );
}

/**
 * Runs BAC with the MRZ information (document number, birth and expiry dates with check digits).
 * `random(n)` draws RND.IFD (8 bytes) then K.IFD (16 bytes).
 *
 * @throws ReaderError `ERR_ACCESS_DENIED` when the chip refuses the key (tried once, never again)
 * @example
 * const { keys, ssc } = await performBAC(channel, 'L898902C<369080619406236', randomBytes);
 */
export async function performBAC(
  ch: PlainChannel,
  mrzInformation: string,
  random: (n: number) => Uint8Array,
): Promise<SessionKeys> {
  const { kEnc, kMac } = deriveBACKeys(mrzInformation);
  const challenge = await ch.send({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, ne: 8 });
  if (challenge.sw !== SW.OK || challenge.data.length !== 8)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `bac: GET CHALLENGE answered ${swHex(challenge.sw)}`, {
      sw: challenge.sw,
    });
  const rndIC = challenge.data.slice();
  const rndIFD = random(8);
  const kIFD = random(16);
  const S = new Uint8Array(32);
  S.set(rndIFD);
  S.set(rndIC, 8);
  S.set(kIFD, 16);
  const eIFD = tdesCbcEncrypt(kEnc, new Uint8Array(8), S);
  const mIFD = retailMac(kMac, pad(eIFD, 8));
  const data = new Uint8Array(40);
  data.set(eIFD);
  data.set(mIFD, 32);
  const r = await ch.send({ cla: 0x00, ins: 0x82, p1: 0, p2: 0, data, ne: 40 });
  // 6988 "incorrect SM data objects": chips that check M_IFD first (vsmartcard's ePass emulator, read
  // through pcscd in test/pcsc) answer a wrong MRZ key with it — a refused key, like 6300/6982.
  if (isAccessDenied(r.sw) || r.sw === SW.SM_DATA_INCORRECT)
    throw new ReaderError('ERR_ACCESS_DENIED', `bac: the chip refused the MRZ key (${swHex(r.sw)})`, {
      sw: r.sw,
    });
  if (r.sw !== SW.OK || r.data.length !== 40)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `bac: EXTERNAL AUTHENTICATE answered ${swHex(r.sw)}`, {
      sw: r.sw,
    });
  const eIC = r.data.subarray(0, 32);
  if (!equalMac(retailMac(kMac, pad(eIC, 8)), r.data.subarray(32)))
    throw new ReaderError('ERR_SECURE_MESSAGING', 'bac: the chip answer MAC is wrong');
  const R = tdesCbcDecrypt(kEnc, new Uint8Array(8), eIC);
  if (!equalMac(R.subarray(0, 8), rndIC) || !equalMac(R.subarray(8, 16), rndIFD))
    throw new ReaderError('ERR_SECURE_MESSAGING', 'bac: the chip answer does not match the challenge');
  const kIC = R.subarray(16, 32);
  const seed = kIFD.map((b, i) => b ^ kIC[i]!);
  const ssc = new Uint8Array(8);
  ssc.set(rndIC.subarray(4, 8));
  ssc.set(rndIFD.subarray(4, 8), 4);
  return { keys: { cipher: '3DES', ksEnc: kdf(seed, 1, '3DES'), ksMac: kdf(seed, 2, '3DES') }, ssc };
}
