/**
 * The virtual card — an eMRTD chip at the APDU level (ICAO Doc 9303 Part 10 §3 file structure, Part 11
 * §4 access control, §6 Chip and Active Authentication, §9.8 secure messaging; ISO/IEC 7816-4 commands
 * SELECT, READ BINARY (B0 / B1 with DO'54), GET CHALLENGE, EXTERNAL / INTERNAL AUTHENTICATE, MSE,
 * GENERAL AUTHENTICATE, GET RESPONSE).
 *
 * The card's rules (its decisions, written here apart from the reader so a bug cannot hide on both sides):
 * - Files: EF.CardAccess (011C, SFI 1C) in the master file, readable in plain; EF.COM (011E/1E), EF.SOD
 *   (011D/1D), DGn (01nn/n) in the eMRTD application (AID A0000002471001), readable only under secure
 *   messaging (6982 otherwise). SFIs and P1=02 file ids resolve in the current DF, as ISO/IEC 7816-4 says.
 * - SELECT MF answers 6D00 on the CCCD set-up (as CCCD cards do), 9000 elsewhere.
 * - A plain command during a session ends the session (then runs unauthenticated); a protected command
 *   with a missing (6987) or wrong (6988) MAC or cryptogram ends it too, answered in plain.
 * - Wrong password: BAC's EXTERNAL AUTHENTICATE and PACE's last GENERAL AUTHENTICATE answer 6300 (63Cx
 *   with a retry counter, then 6983), and the card counts every failure in `stats.failedAccessAttempts`.
 * - A protected answer longer than the outer Le is sent in parts: 61xx, then GET RESPONSE.
 * - Nonces and ephemeral keys come from the card's random source: the sandbox DRBG when seeded.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { ChipIdError } from '../../errors.ts';
import { ascii, bigIntToBytes, bytesToBigInt, concat, equalBytes } from '../../lib/bytes.ts';
import { retailMac } from '../../reader/crypto/des.ts';
import { kdf, type SMCipher } from '../../reader/crypto/kdf.ts';
import { decodePoint, type ECDomain, paceDomain } from '../../reader/crypto/pace-math.ts';
import { pad } from '../../reader/crypto/padding.ts';
import type { SandboxCard } from '../factory.ts';
import { type CommandAPDU, parseCommand, response, SW, status } from './apdu.ts';
import { CardPACE, type PACEPassword, pacePassword } from './pace.ts';
import {
  type CardAccessContent,
  encodeCardAccess,
  oidFromBytes,
  PACE_PARAMETER_IDS,
  type PACEDomainName,
  type PACEOffer,
  paceOID,
  parseCaOID,
} from './security-infos.ts';
import { CardSession, decrypt, encrypt, SMFault } from './sm.ts';
import { find, parseTLVs, tlv } from './tlv.ts';

/** The eMRTD application identifier (Doc 9303 Part 10 §3.1). */
export const EMRTD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

/** EF.CardAccess: file id 011C, short EF id 1C (Doc 9303 Part 10 §3.11.2). */
const CARD_ACCESS = { fid: 0x011c, sfi: 0x1c } as const;

/** An LDS file name as in a chip dump: `com`, `sod`, `dg1` … `dg16`. */
export type LDSFileName = 'com' | 'sod' | `dg${number}`;

/** File id and short EF id of an LDS elementary file (Doc 9303 Part 10 Table 31/33). */
export function ldsFileIds(name: LDSFileName): { fid: number; sfi: number } | undefined {
  if (name === 'com') return { fid: 0x011e, sfi: 0x1e };
  if (name === 'sod') return { fid: 0x011d, sfi: 0x1d };
  const m = /^dg([1-9]|1[0-6])$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return { fid: 0x0100 + n, sfi: n };
}

/** What a chip holds: its files and secrets. */
export interface VirtualCardImage {
  /** The LDS files, raw (outer tag included), by dump name. */
  files: Readonly<Partial<Record<LDSFileName, Uint8Array>>>;
  /**
   * The MRZ information (document number, date of birth, date of expiry, each with its check digit —
   * Doc 9303 Part 11 §9.7.1.1): the BAC key and the PACE MRZ password. Undefined: no MRZ access.
   */
  mrzInformation?: string;
  /** The Card Access Number (PACE CAN password). Undefined: no CAN access. */
  can?: string;
  /** Answers INTERNAL AUTHENTICATE (Active Authentication); undefined: the chip has no AA key. */
  activeAuthentication?: { internalAuthenticate(challenge: Uint8Array): Promise<Uint8Array> };
  /** The static Chip Authentication key (ECDH) DG14 announces, with DG14's CA protocol OID. */
  chipAuthentication?: { domain: PACEDomainName; privateKey: Uint8Array; protocol: string };
}

/** Faults the card can be told to make. */
export interface VirtualCardFaults {
  /** The card's passwords differ from the card's printed ones: every BAC / PACE attempt fails (and is counted). */
  wrongKeyAlways?: boolean;
  /** The tag leaves the field after answering this many APDUs: the next transceive rejects (once). */
  dropAfterApdus?: number;
  /** The first protected answer from this APDU on (1-based count since the card was made) has a wrong MAC (once). */
  badResponseMacAt?: number;
  /** READ BINARY with Ne above this answers 6700 (wrong length). */
  wrongLengthAbove?: number;
  /** READ BINARY with Ne above this answers 6Cxx, xx = this value (at most 255; 256 is 6C00). */
  correctLengthAbove?: number;
}

/** How the card behaves (resolved from the options by `virtualCard`). */
export interface VirtualCardSetup {
  /** PACE set-ups offered in EF.CardAccess (empty: no PACE, no EF.CardAccess unless `cardAccess`). */
  pace: readonly PACEOffer[];
  /** Basic Access Control with the MRZ key. */
  bac: boolean;
  /** PACE with the MRZ password is accepted (several CCCDs answer 6982 to it). */
  paceMrz: boolean;
  /** SELECT MF answers 9000 (false: 6D00, as on CCCD cards). */
  selectMF: boolean;
  /** EF.CardAccess also lists TerminalAuthenticationInfo (as the CCCD's does). */
  terminalAuthenticationInfo: boolean;
  /** Chip Authentication answered (DG14 announces it either way). */
  chipAuthentication: boolean;
  /** Active Authentication answered (when the image has a key). */
  activeAuthentication: boolean;
  /** Extended length APDUs accepted (6700 otherwise). */
  extendedLength: boolean;
  /** At most this many bytes per READ BINARY (fewer than asked, 9000), like a chip with a small buffer. */
  maxLe?: number;
  /** Answer 6282 (end of file before Ne bytes) instead of 9000 when a READ BINARY reaches the end. */
  eofWarning: boolean;
  /** Password tries before the card blocks (63Cx counts down, then 6983); undefined: 6300, never blocks. */
  retryCounter?: number;
  faults: VirtualCardFaults;
}

/** What the card counted. */
export interface VirtualCardStats {
  /** APDUs received (the one a tag loss rejects included). */
  apdus: number;
  /** Bytes received and sent (status words included). */
  bytesIn: number;
  bytesOut: number;
  /** Failed BAC / PACE authentications (wrong key). */
  failedAccessAttempts: number;
  /** Secure-messaging sessions established (BAC, PACE, and the switch after Chip Authentication). */
  sessions: number;
  /** Sessions ended by a secure-messaging error (6987 / 6988) or a plain command. */
  sessionsAborted: number;
  /** Successful Chip Authentications and answered INTERNAL AUTHENTICATEs. */
  chipAuthentications: number;
  activeAuthentications: number;
  /** GET RESPONSE commands answered. */
  getResponses: number;
}

/** The rejection of a transceive when the tag left the field (a transport-style error, as NFC stacks give). */
export class TagLostError extends Error {
  override readonly name = 'TagLostError';
}

interface Answer {
  data: Uint8Array;
  sw: number;
  /** Runs after the protected answer is wrapped (key switch after Chip Authentication). */
  after?: () => void;
}

const ok = (data: Uint8Array = new Uint8Array(0)): Answer => ({ data, sw: SW.OK });
const fail = (sw: number): Answer => ({ data: new Uint8Array(0), sw });

interface EF {
  fid: number;
  sfi: number;
  df: 'mf' | 'app';
  bytes: Uint8Array;
  /** Readable only under secure messaging. */
  secured: boolean;
}

/** A PC/SC-style ATR for a contactless card (PC/SC Part 3 §3.1.3.2.3): 3B 8n 80 01 <historical> TCK. */
function makeATR(): Uint8Array {
  const historical = ascii('chipidVC');
  const body = concat(Uint8Array.of(0x3b, 0x80 | historical.length, 0x80, 0x01), historical);
  let tck = 0;
  for (const b of body.subarray(1)) tck ^= b;
  return concat(body, Uint8Array.of(tck));
}

/**
 * An eMRTD chip answering APDUs; a `ChipTransport` for `readChip`.
 *
 * @example
 * const card = virtualCard(await makeCard({ profile: 'valid', seed: 1 }), { seed: 1 });
 * await card.transceive(Uint8Array.of(0x00, 0xb0, 0x9c, 0x00, 0x00)); // EF.CardAccess by SFI
 */
export class VirtualCard {
  /** The card's answer to reset. */
  readonly atr: Uint8Array = makeATR();
  /** Transport hint: extended length APDUs go through. */
  readonly extendedLength: boolean;
  readonly #image: VirtualCardImage;
  readonly #setup: VirtualCardSetup;
  readonly #random: (n: number) => Uint8Array;
  readonly #files: EF[];
  readonly #stats: VirtualCardStats = {
    apdus: 0,
    bytesIn: 0,
    bytesOut: 0,
    failedAccessAttempts: 0,
    sessions: 0,
    sessionsAborted: 0,
    chipAuthentications: 0,
    activeAuthentications: 0,
    getResponses: 0,
  };
  #powered = true;
  #dropped = false;
  #badMacDone = false;
  #triesLeft: number | undefined;
  // Session state (cleared on reset).
  #df: 'mf' | 'app' = 'mf';
  #ef: EF | undefined;
  #session: CardSession | undefined;
  #accessControl: 'pace' | 'bac' | undefined;
  #pace: CardPACE | undefined;
  #caSelected = false;
  #challenge: Uint8Array | undefined;
  #pending: { rest: Uint8Array; sw: number } | undefined;

  /** The sandbox card this chip belongs to (when made by `virtualCard`). */
  readonly sandboxCard: SandboxCard | undefined;

  constructor(
    image: VirtualCardImage,
    setup: VirtualCardSetup,
    random: (n: number) => Uint8Array,
    sandboxCard?: SandboxCard,
  ) {
    this.sandboxCard = sandboxCard;
    this.#image = image;
    this.#setup = setup;
    this.#random = random;
    this.extendedLength = setup.extendedLength;
    this.#triesLeft = setup.retryCounter;
    const files: EF[] = [];
    const access = this.#cardAccessContent();
    if (access) files.push({ ...CARD_ACCESS, df: 'mf', bytes: encodeCardAccess(access), secured: false });
    for (const [name, bytes] of Object.entries(image.files)) {
      const ids = ldsFileIds(name as LDSFileName);
      if (!ids || !bytes) throw new ChipIdError('ERR_SANDBOX', `virtual card: no LDS file called ${name}`);
      files.push({ ...ids, df: 'app', bytes, secured: true });
    }
    this.#files = files;
  }

  #cardAccessContent(): CardAccessContent | undefined {
    const s = this.#setup;
    if (s.pace.length === 0) return undefined;
    const ca = this.#image.chipAuthentication;
    return {
      pace: s.pace,
      ...(ca && s.chipAuthentication ? { chipAuthentication: ca.protocol } : {}),
      terminalAuthentication: s.terminalAuthenticationInfo,
    };
  }

  /** EF.CardAccess as the card serves it (undefined when it has none). */
  get cardAccess(): Uint8Array | undefined {
    return this.#files.find((f) => f.fid === CARD_ACCESS.fid)?.bytes;
  }

  /** Transport hint: the longest command APDU, in bytes (short 5 + 255 + 1, extended 7 + 65535 + 2). */
  get maxCommandLength(): number {
    return this.extendedLength ? 65544 : 261;
  }

  /** Transport hint: the longest response APDU, in bytes, SW1 SW2 included (short 256 + 2, extended 65536 + 2). */
  get maxResponseLength(): number {
    return this.extendedLength ? 65538 : 258;
  }

  /** What the card counted so far (a copy). */
  get stats(): VirtualCardStats {
    return { ...this.#stats };
  }

  /** The access control of the running session, if any. */
  get session(): { accessControl: 'pace' | 'bac'; cipher: SMCipher } | undefined {
    return this.#session && this.#accessControl
      ? { accessControl: this.#accessControl, cipher: this.#session.cipher }
      : undefined;
  }

  /** Puts the card in the field (after `powerOff` or a tag loss): a fresh start, no session. */
  powerOn(): void {
    this.#clear();
    this.#powered = true;
  }

  /** Takes the card out of the field: transceive rejects until `powerOn`. */
  powerOff(): void {
    this.#clear();
    this.#powered = false;
  }

  /** A power cycle (a re-tap): the session is gone, the master file selected. */
  reset(): void {
    this.powerOn();
  }

  #clear(): void {
    this.#df = 'mf';
    this.#ef = undefined;
    this.#endSession(false);
    this.#pending = undefined;
    this.#challenge = undefined;
  }

  #endSession(counted = true): void {
    if (this.#session && counted) this.#stats.sessionsAborted++;
    this.#session = undefined;
    this.#accessControl = undefined;
    this.#pace = undefined;
    this.#caSelected = false;
  }

  /**
   * Sends a command APDU; resolves to the response APDU (data ‖ SW1 SW2). Rejects with
   * {@link TagLostError} when the card is out of the field.
   */
  async transceive(command: Uint8Array): Promise<Uint8Array> {
    if (!this.#powered) throw new TagLostError('virtual card: tag connection lost (card not in the field)');
    this.#stats.apdus++;
    this.#stats.bytesIn += command.length;
    const drop = this.#setup.faults.dropAfterApdus;
    if (drop !== undefined && !this.#dropped && this.#stats.apdus > drop) {
      this.#dropped = true;
      this.powerOff();
      throw new TagLostError('virtual card: tag connection lost');
    }
    const out = await this.#process(command);
    this.#stats.bytesOut += out.length;
    return out;
  }

  async #process(bytes: Uint8Array): Promise<Uint8Array> {
    const cmd = parseCommand(bytes);
    if (!cmd) return status(SW.WRONG_LENGTH);
    if (cmd.extended && !this.#setup.extendedLength) return status(SW.WRONG_LENGTH);
    if ((cmd.cla & 0xe3) !== 0) return status(SW.CLA_NOT_SUPPORTED);
    // GET RESPONSE is transport level: it neither needs nor ends secure messaging.
    if (cmd.ins === 0xc0 && (cmd.cla & 0x0c) === 0) return this.#getResponse(cmd);
    this.#pending = undefined;
    const smBits = cmd.cla & 0x0c;
    if (smBits === 0x04 || smBits === 0x08) return status(0x6882);
    if (smBits === 0x0c) return this.#protected(cmd);
    if (this.#session) this.#endSession();
    const a = await this.#handle(cmd, false);
    return this.#deliver(a.data, a.sw, cmd);
  }

  async #protected(outer: CommandAPDU): Promise<Uint8Array> {
    const session = this.#session;
    if (!session) return status(SW.SM_MISSING);
    let inner: CommandAPDU;
    try {
      inner = session.unwrap(outer);
    } catch (e) {
      if (!(e instanceof SMFault)) throw e;
      this.#endSession();
      return status(e.sw);
    }
    const a = await this.#handle(inner, true);
    const at = this.#setup.faults.badResponseMacAt;
    const corrupt = at !== undefined && !this.#badMacDone && this.#stats.apdus >= at;
    if (corrupt) this.#badMacDone = true;
    const wrapped = session.wrap(inner.ins, a.data, a.sw, corrupt);
    a.after?.();
    return this.#deliver(wrapped, a.sw, outer);
  }

  /** The answer, in parts (61xx) when longer than the command's Ne. */
  #deliver(data: Uint8Array, sw: number, cmd: CommandAPDU): Uint8Array {
    const limit = cmd.ne ?? (cmd.extended ? 65536 : 256);
    if (data.length <= limit) return response(data, sw);
    const rest = data.slice(limit);
    this.#pending = { rest, sw };
    return response(data.subarray(0, limit), 0x6100 | (rest.length > 255 ? 0 : rest.length));
  }

  #getResponse(cmd: CommandAPDU): Uint8Array {
    const p = this.#pending;
    if (!p) return status(SW.CONDITIONS);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.WRONG_P1P2);
    this.#stats.getResponses++;
    const n = Math.min(cmd.ne ?? 256, p.rest.length);
    const chunk = p.rest.slice(0, n);
    const rest = p.rest.slice(n);
    if (rest.length === 0) {
      this.#pending = undefined;
      return response(chunk, p.sw);
    }
    this.#pending = { rest, sw: p.sw };
    return response(chunk, 0x6100 | (rest.length > 255 ? 0 : rest.length));
  }

  async #handle(cmd: CommandAPDU, secured: boolean): Promise<Answer> {
    const chained = (cmd.cla & 0x10) !== 0;
    if (chained && cmd.ins !== 0x86) return fail(0x6884);
    switch (cmd.ins) {
      case 0xa4:
        return this.#select(cmd);
      case 0xb0:
      case 0xb1:
        return this.#readBinary(cmd, secured);
      case 0x84:
        return this.#getChallenge(cmd);
      case 0x82:
        return this.#externalAuthenticate(cmd, secured);
      case 0x22:
        return this.#manageSecurityEnvironment(cmd, secured);
      case 0x86:
        return this.#generalAuthenticate(cmd, secured, chained);
      case 0x88:
        return this.#internalAuthenticate(cmd, secured);
      default:
        return fail(SW.INS_NOT_SUPPORTED);
    }
  }

  // ── files ────────────────────────────────────────────────────────────────

  #inDF(match: (f: EF) => boolean): EF | undefined {
    return this.#files.find((f) => f.df === this.#df && match(f));
  }

  #select(cmd: CommandAPDU): Answer {
    const { p1, p2, data } = cmd;
    if (p2 !== 0x0c && p2 !== 0x00 && p2 !== 0x04) return fail(SW.WRONG_P1P2);
    const fcp = (ef: EF): Answer =>
      p2 === 0x0c
        ? ok()
        : ok(
            tlv(
              0x62,
              tlv(0x80, Uint8Array.of(ef.bytes.length >> 8, ef.bytes.length & 0xff)),
              tlv(0x82, Uint8Array.of(0x01)),
              tlv(0x83, Uint8Array.of(ef.fid >> 8, ef.fid & 0xff)),
            ),
          );
    if (p1 === 0x04) {
      if (!equalBytes(data, EMRTD_AID)) return fail(SW.FILE_NOT_FOUND);
      this.#df = 'app';
      this.#ef = undefined;
      return p2 === 0x0c ? ok() : ok(tlv(0x6f, tlv(0x84, EMRTD_AID)));
    }
    if (p1 === 0x00 && (data.length === 0 || (data.length === 2 && data[0] === 0x3f && data[1] === 0x00))) {
      if (!this.#setup.selectMF) return fail(SW.INS_NOT_SUPPORTED);
      this.#df = 'mf';
      this.#ef = undefined;
      return ok();
    }
    if (p1 === 0x00 || p1 === 0x02) {
      if (data.length !== 2) return fail(SW.WRONG_DATA);
      const fid = (data[0]! << 8) | data[1]!;
      const ef = this.#inDF((f) => f.fid === fid);
      if (!ef) return fail(SW.FILE_NOT_FOUND);
      this.#ef = ef;
      return fcp(ef);
    }
    return fail(SW.WRONG_P1P2);
  }

  #readBinary(cmd: CommandAPDU, secured: boolean): Answer {
    let ef: EF | undefined;
    let offset: number;
    if (cmd.ins === 0xb0) {
      if (cmd.p1 & 0x80) {
        if (cmd.p1 & 0x60) return fail(SW.WRONG_P1P2);
        const sfi = cmd.p1 & 0x1f;
        ef = this.#inDF((f) => f.sfi === sfi);
        if (!ef) return fail(SW.FILE_NOT_FOUND);
        offset = cmd.p2;
      } else {
        ef = this.#ef;
        if (!ef) return fail(SW.NO_CURRENT_EF);
        offset = (cmd.p1 << 8) | cmd.p2;
      }
      if (cmd.data.length) return fail(SW.WRONG_LENGTH);
    } else {
      const id = (cmd.p1 << 8) | cmd.p2;
      const sfi = id & 0x1f;
      if (id === 0) ef = this.#ef;
      else if ((id & 0xffe0) === 0 && sfi !== 0x1f) ef = this.#inDF((f) => f.sfi === sfi);
      else ef = this.#inDF((f) => f.fid === id);
      if (!ef) return fail(id === 0 ? SW.NO_CURRENT_EF : SW.FILE_NOT_FOUND);
      const dos = parseTLVs(cmd.data);
      const o = dos?.length === 1 ? find(dos, 0x54) : undefined;
      if (!o || o.length === 0 || o.length > 3) return fail(SW.WRONG_DATA);
      offset = Number(bytesToBigInt(o));
    }
    this.#ef = ef;
    if (ef.secured && !secured) return fail(SW.SECURITY_STATUS);
    const ne = cmd.ne;
    if (ne === undefined) return fail(SW.WRONG_LENGTH);
    const { wrongLengthAbove, correctLengthAbove } = this.#setup.faults;
    if (wrongLengthAbove !== undefined && ne > wrongLengthAbove) return fail(SW.WRONG_LENGTH);
    if (correctLengthAbove !== undefined && ne > correctLengthAbove)
      return fail(0x6c00 | (correctLengthAbove & 0xff));
    const size = ef.bytes.length;
    if (offset > size) return fail(SW.OFFSET_OUTSIDE);
    // B1 answers DO'53 around the bytes: its header counts against Ne.
    const header = (n: number) => (cmd.ins === 0xb1 ? (n < 0x80 ? 2 : n < 0x100 ? 3 : 4) : 0);
    let n = Math.min(ne, size - offset, this.#setup.maxLe ?? Number.POSITIVE_INFINITY);
    while (n > 0 && n + header(n) > ne) n--;
    const bytes = ef.bytes.slice(offset, offset + n);
    const data = cmd.ins === 0xb1 ? tlv(0x53, bytes) : bytes;
    const short = offset + n >= size && n + header(n) < ne;
    return { data, sw: short && this.#setup.eofWarning ? SW.EOF_WARNING : SW.OK };
  }

  // ── BAC (Doc 9303 Part 11 §4.3) ────────────────────────────────────────────

  #getChallenge(cmd: CommandAPDU): Answer {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return fail(SW.WRONG_P1P2);
    if (cmd.ne !== 8) return fail(SW.WRONG_LENGTH);
    this.#challenge = this.#random(8);
    return ok(this.#challenge);
  }

  #blocked(): boolean {
    return this.#triesLeft === 0;
  }

  #authFailed(): Answer {
    this.#stats.failedAccessAttempts++;
    if (this.#triesLeft === undefined) return fail(SW.AUTH_FAILED);
    this.#triesLeft = Math.max(0, this.#triesLeft - 1);
    return fail(0x63c0 | this.#triesLeft);
  }

  #authSucceeded(): void {
    if (this.#setup.retryCounter !== undefined) this.#triesLeft = this.#setup.retryCounter;
  }

  /** The secret the card holds for a password, as the fault settings make it. */
  #secret(kind: 'mrz' | 'can'): string | undefined {
    const v = kind === 'mrz' ? this.#image.mrzInformation : this.#image.can;
    if (v === undefined) return undefined;
    // A card personalised with other keys than its print shows.
    return this.#setup.faults.wrongKeyAlways ? `${v.slice(0, -1)}${v.endsWith('0') ? '1' : '0'}` : v;
  }

  #externalAuthenticate(cmd: CommandAPDU, secured: boolean): Answer {
    const mrz = this.#secret('mrz');
    if (!this.#setup.bac || mrz === undefined) return fail(SW.INS_NOT_SUPPORTED);
    if (secured) return fail(SW.CONDITIONS);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return fail(SW.WRONG_P1P2);
    if (this.#blocked()) return fail(SW.AUTH_BLOCKED);
    const rndIc = this.#challenge;
    this.#challenge = undefined;
    if (!rndIc) return fail(SW.CONDITIONS);
    if (cmd.data.length !== 40) return fail(SW.WRONG_LENGTH);
    const kSeed = sha1(ascii(mrz)).slice(0, 16);
    const kEnc = kdf(kSeed, 1, '3DES');
    const kMac = kdf(kSeed, 2, '3DES');
    const eIfd = cmd.data.subarray(0, 32);
    if (!equalBytes(retailMac(kMac, pad(eIfd, 8)), cmd.data.subarray(32))) return this.#authFailed();
    const s = decrypt('3DES', kEnc, new Uint8Array(8), eIfd);
    const rndIfd = s.subarray(0, 8);
    if (!equalBytes(s.subarray(8, 16), rndIc)) return this.#authFailed();
    const kIfd = s.subarray(16, 32);
    const kIc = this.#random(16);
    const eIc = encrypt('3DES', kEnc, new Uint8Array(8), concat(rndIc, rndIfd, kIc));
    const answer = concat(eIc, retailMac(kMac, pad(eIc, 8)));
    const seed = kIfd.map((b, i) => b ^ kIc[i]!);
    this.#authSucceeded();
    this.#session = new CardSession(
      '3DES',
      kdf(seed, 1, '3DES'),
      kdf(seed, 2, '3DES'),
      concat(rndIc.subarray(4), rndIfd.subarray(4)),
    );
    this.#accessControl = 'bac';
    this.#stats.sessions++;
    return ok(answer);
  }

  // ── PACE (§4.4) and Chip Authentication (§6.2) ──────────────────────────────

  #manageSecurityEnvironment(cmd: CommandAPDU, secured: boolean): Answer {
    const p1p2 = (cmd.p1 << 8) | cmd.p2;
    const dos = parseTLVs(cmd.data);
    if (!dos) return fail(SW.WRONG_DATA);
    if (p1p2 === 0xc1a4) {
      // MSE:Set AT for PACE (mutual authentication).
      this.#pace = undefined;
      if (secured) return fail(SW.CONDITIONS);
      const mech = find(dos, 0x80);
      const dotted = mech && oidFromBytes(mech);
      const pid = find(dos, 0x84);
      const offer = this.#setup.pace.find(
        (o) =>
          paceOID(o.mapping, o.domain.startsWith('MODP'), o.cipher) === dotted &&
          (pid === undefined || (pid.length === 1 && pid[0] === PACE_PARAMETER_IDS[o.domain])),
      );
      if (!offer) return fail(SW.WRONG_DATA);
      const ref = find(dos, 0x83);
      const kind: PACEPassword | undefined =
        ref?.length === 1 && ref[0] === 1 ? 'mrz' : ref?.length === 1 && ref[0] === 2 ? 'can' : undefined;
      if (!kind) return fail(SW.REF_NOT_FOUND);
      if (kind === 'mrz' && !this.#setup.paceMrz) return fail(SW.SECURITY_STATUS);
      const secret = this.#secret(kind);
      if (secret === undefined) return fail(SW.REF_NOT_FOUND);
      if (this.#blocked()) return fail(SW.AUTH_BLOCKED);
      let camKey: bigint | undefined;
      if (offer.mapping === 'CAM') {
        const ca = this.#image.chipAuthentication;
        if (!ca || ca.domain !== offer.domain) return fail(SW.WRONG_DATA);
        camKey = bytesToBigInt(ca.privateKey);
      }
      this.#pace = new CardPACE(offer, pacePassword(kind, secret), this.#random, camKey);
      return ok();
    }
    if (p1p2 === 0x41a4 || p1p2 === 0x41a6) {
      this.#caSelected = false;
      if (!secured) return fail(SW.SECURITY_STATUS);
      const ca = this.#image.chipAuthentication;
      if (!ca || !this.#setup.chipAuthentication) return fail(SW.WRONG_DATA);
      if (find(dos, 0x84) !== undefined) return fail(SW.REF_NOT_FOUND); // DG14 names no key id
      const { cipher } = parseCaOID(ca.protocol)!;
      if (p1p2 === 0x41a4) {
        const mech = find(dos, 0x80);
        if (!mech || oidFromBytes(mech) !== ca.protocol) return fail(SW.WRONG_DATA);
        this.#caSelected = true;
        return ok();
      }
      // MSE:Set KAT: the 3DES variant of Chip Authentication (§6.2.4.1), the key in DO'91.
      if (cipher !== '3DES') return fail(SW.WRONG_DATA);
      const pk = find(dos, 0x91);
      return pk ? this.#chipAuthenticate(pk, () => ok()) : fail(SW.WRONG_DATA);
    }
    return fail(SW.WRONG_P1P2);
  }

  #generalAuthenticate(cmd: CommandAPDU, secured: boolean, chained: boolean): Answer {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return fail(SW.WRONG_P1P2);
    if (this.#pace && !secured) {
      const pace = this.#pace;
      const r = pace.step(cmd.data, chained);
      if (r.done) this.#pace = undefined;
      if (r.authenticationFailed) return this.#authFailed();
      if (r.session) {
        this.#authSucceeded();
        this.#session = r.session;
        this.#accessControl = 'pace';
        this.#stats.sessions++;
      }
      return { data: r.data, sw: r.sw };
    }
    if (this.#caSelected && secured && !chained) {
      this.#caSelected = false;
      const outer = parseTLVs(cmd.data);
      const dyn = outer?.length === 1 && outer[0]!.tag === 0x7c ? parseTLVs(outer[0]!.value) : undefined;
      const pk = dyn && find(dyn, 0x80);
      return pk ? this.#chipAuthenticate(pk, () => ok(tlv(0x7c))) : fail(SW.WRONG_DATA);
    }
    return fail(SW.CONDITIONS);
  }

  /** Chip Authentication key agreement: the answer goes out under the old keys, then the new ones apply. */
  #chipAuthenticate(pkBytes: Uint8Array, answer: () => Answer): Answer {
    const ca = this.#image.chipAuthentication!;
    const { cipher } = parseCaOID(ca.protocol)!;
    const domain = paceDomain(PACE_PARAMETER_IDS[ca.domain]) as ECDomain;
    let shared: Uint8Array;
    try {
      const pk = decodePoint(domain, pkBytes);
      const x = pk.multiply(bytesToBigInt(ca.privateKey)).toAffine().x;
      shared = bigIntToBytes(x, domain.fieldLength);
    } catch {
      return fail(SW.WRONG_DATA);
    }
    const next = new CardSession(cipher, kdf(shared, 1, cipher), kdf(shared, 2, cipher));
    const a = answer();
    a.after = () => {
      this.#session = next;
      this.#stats.sessions++;
      this.#stats.chipAuthentications++;
    };
    return a;
  }

  // ── Active Authentication (§6.1) ───────────────────────────────────────────

  async #internalAuthenticate(cmd: CommandAPDU, secured: boolean): Promise<Answer> {
    const aa = this.#image.activeAuthentication;
    if (!aa || !this.#setup.activeAuthentication) return fail(SW.INS_NOT_SUPPORTED);
    if (!secured) return fail(SW.SECURITY_STATUS);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return fail(SW.WRONG_P1P2);
    if (cmd.data.length === 0) return fail(SW.WRONG_LENGTH);
    const signature = await aa.internalAuthenticate(cmd.data);
    this.#stats.activeAuthentications++;
    return ok(signature);
  }
}
