/**
 * Reading elementary files — Doc 9303 Part 10 §3 (file and short EF identifiers) and ISO/IEC 7816-4
 * §11.3.3 READ BINARY: short-EF-id reads without a SELECT round trip, the length from the first TLV
 * bytes, an adaptive chunk size (start with what the transport allows, shrink on 6700 / 6Cxx), 6282 end
 * of file, B1 with DO'54 offsets above 32 767, extended length only while the chip takes it.
 */
import { type CommandAPDU, SW, swHex } from './apdu.ts';
import { SM_BLOCK_LENGTH, type SMCipher } from './crypto/kdf.ts';
import { dataObject, parseDataObjects } from './crypto/sm-codec.ts';
import { ReaderError } from './errors.ts';
import { maxPlaintextFor } from './sm.ts';
import type { Channel, PlainChannel } from './transport.ts';

/** An elementary file: dump member name, file id, short EF id. */
export interface EFRef {
  readonly name: string;
  readonly fid: number;
  readonly sfi: number;
}

/** EF.CardAccess (MF), EF.COM, EF.SOD and DGn (eMRTD application) — Doc 9303 Part 10 Table 31/33. */
export const EF = {
  cardAccess: { name: 'cardAccess', fid: 0x011c, sfi: 0x1c },
  com: { name: 'com', fid: 0x011e, sfi: 0x1e },
  sod: { name: 'sod', fid: 0x011d, sfi: 0x1d },
} as const satisfies Record<string, EFRef>;

/** DGn's reference (n in 1..16). */
export const dgRef = (n: number): EFRef => ({ name: `dg${n}`, fid: 0x0100 + n, sfi: n });

/** The chunk size in use: shared by every file of a read, shrunk when the chip says so. */
export interface ChunkPolicy {
  /** Plaintext bytes asked per READ BINARY. */
  size: number;
  /** Whether the outer APDU uses extended length. */
  extended: boolean;
  /** The largest short-APDU plaintext (0xDF for AES SM, 0xE7 for 3DES SM, 0x100 in plain). */
  readonly shortMax: number;
}

/**
 * The starting chunk: under secure messaging, the largest plaintext whose protected answer fits the
 * transport (extended when it says so, and `allowExtended`); in plain, 256 bytes.
 */
export function initialChunk(
  ch: PlainChannel,
  cipher: SMCipher | undefined,
  allowExtended = true,
): ChunkPolicy {
  const bl = cipher ? SM_BLOCK_LENGTH[cipher] : 0;
  const maxShortResponse = Math.min(258, ch.maxResponseLength);
  const shortMax = cipher ? maxPlaintextFor(maxShortResponse, bl) : maxShortResponse - 2;
  if (ch.extendedLength && allowExtended && ch.maxResponseLength > 258) {
    const cap = Math.min(ch.maxResponseLength, 65538);
    const size = cipher ? maxPlaintextFor(cap, bl) : cap - 2;
    if (size > shortMax) return { size: Math.min(size, 0xfeff), extended: true, shortMax };
  }
  return { size: shortMax, extended: false, shortMax };
}

/** Length of a BER-TLV's header and value from its first bytes, or undefined when more bytes are needed. */
export function tlvTotalLength(head: Uint8Array): number | undefined {
  if (head.length < 2) return undefined;
  let i = (head[0]! & 0x1f) === 0x1f ? 2 : 1;
  if (head.length <= i) return undefined;
  const first = head[i++]!;
  if (first < 0x80) return i + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3)
    throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'files: the file does not start with a TLV length');
  if (head.length < i + n) return undefined;
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + head[i + k]!;
  return i + n + len;
}

/** The file being read: its bytes so far and its total length when known (kept when a read is interrupted). */
export interface FileProgress {
  data: Uint8Array;
  total: number | undefined;
}

/** Status words that say "no short EF id / this way of addressing is not supported". */
const SFI_UNSUPPORTED: ReadonlySet<number> = new Set([
  SW.INCORRECT_P1P2,
  SW.FUNCTION_NOT_SUPPORTED,
  SW.INS_NOT_SUPPORTED,
  SW.CLA_NOT_SUPPORTED,
  SW.COMMAND_NOT_ALLOWED,
  0x6981,
  SW.WRONG_DATA,
]);

const append = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** Options of {@link readEF}. */
export interface ReadEFOptions {
  /** Bytes already read (a resumed file) and its total; updated in place as chunks arrive. */
  progress: FileProgress;
  /** Whether the channel is secure messaging (sizes the chunks' protected answers). */
  cipher: SMCipher | undefined;
  /** Called before the SELECT fallback (EF.CardAccess: try SELECT MF first). */
  beforeSelect?: () => Promise<void>;
  /** Each chunk read. */
  onChunk?: (bytesRead: number, bytesTotal: number | undefined) => void;
}

/**
 * Reads one elementary file; `undefined` when the chip says it does not exist (6A82).
 *
 * @throws ReaderError `ERR_PROTOCOL_UNSUPPORTED` (refused), `ERR_TRANSPORT`, `ERR_SECURE_MESSAGING`
 */
export async function readEF(
  ch: Channel,
  ef: EFRef,
  chunk: ChunkPolicy,
  o: ReadEFOptions,
): Promise<Uint8Array | undefined> {
  const p = o.progress;
  let selected = false;
  let viaSFI = p.data.length <= 0xff;
  let guard = 0;

  const select = async (): Promise<boolean> => {
    if (o.beforeSelect) await o.beforeSelect();
    const r = await ch.send({
      cla: 0,
      ins: 0xa4,
      p1: 0x02,
      p2: 0x0c,
      data: Uint8Array.of(ef.fid >> 8, ef.fid & 0xff),
    });
    if (r.sw === SW.FILE_NOT_FOUND) return false;
    if (r.sw !== SW.OK)
      throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `files: SELECT ${ef.name} answered ${swHex(r.sw)}`, {
        sw: r.sw,
      });
    selected = true;
    return true;
  };

  while (p.total === undefined || p.data.length < p.total) {
    if (++guard > 4096) throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `files: ${ef.name} does not end`);
    const offset = p.data.length;
    if (!selected && !viaSFI && !(await select())) return undefined;
    const odd = offset > 0x7fff;
    // The DO'53 wrapper of a B1 answer, and DO'85 instead of DO'87, take a few bytes of the chunk.
    let n = Math.max(1, chunk.size - (odd ? 5 : 0));
    if (p.total !== undefined) n = Math.min(n, p.total - offset);
    let cmd: CommandAPDU;
    if (!selected) cmd = { cla: 0, ins: 0xb0, p1: 0x80 | ef.sfi, p2: offset, ne: n };
    else if (!odd) cmd = { cla: 0, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, ne: n };
    else {
      const off =
        offset > 0xffff
          ? Uint8Array.of(offset >> 16, (offset >> 8) & 0xff, offset & 0xff)
          : Uint8Array.of(offset >> 8, offset & 0xff);
      cmd = {
        cla: 0,
        ins: 0xb1,
        p1: 0,
        p2: 0,
        data: dataObject(0x54, off),
        ne: n + (n < 0x80 ? 2 : n < 0x100 ? 3 : 4),
      };
    }
    const r = await ch.send(cmd, { extended: chunk.extended });
    if (r.sw === SW.OK || r.sw === SW.END_OF_FILE) {
      let data = r.data;
      if (odd) {
        const dos = parseDataObjects(data);
        const d53 = dos.find((d) => d.tag === 0x53);
        if (!d53)
          throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', `files: ${ef.name}: B1 answer without DO'53`);
        data = d53.value;
      }
      if (data.length === 0) {
        if (p.total === undefined) p.total = offset;
        break;
      }
      if (!selected) selected = true; // a short-EF-id read selects the file
      if (p.total !== undefined && offset + data.length > p.total) data = data.subarray(0, p.total - offset);
      p.data = append(p.data, data);
      if (p.total === undefined) p.total = tlvTotalLength(p.data);
      if (r.sw === SW.END_OF_FILE) p.total = p.data.length;
      o.onChunk?.(p.data.length, p.total);
      continue;
    }
    if (r.sw === SW.FILE_NOT_FOUND && offset === 0) return undefined;
    if (!selected && viaSFI && SFI_UNSUPPORTED.has(r.sw)) {
      viaSFI = false;
      continue;
    }
    if (r.sw === SW.WRONG_LENGTH) {
      if (chunk.extended) {
        chunk.extended = false;
        chunk.size = chunk.shortMax;
      } else if (chunk.size > 1) chunk.size = Math.max(1, Math.floor(chunk.size / 2));
      else
        throw new ReaderError(
          'ERR_PROTOCOL_UNSUPPORTED',
          `files: ${ef.name}: the chip refuses every length`,
          { sw: r.sw },
        );
      continue;
    }
    if (r.sw >> 8 === 0x6c) {
      // xx: the length the chip can give (of the plaintext, as most chips mean it; if it meant the
      // protected answer, the next 6Cxx shrinks the chunk again).
      const exact = r.sw & 0xff || 256;
      chunk.extended = false;
      chunk.size = Math.max(1, Math.min(chunk.size - 1, exact));
      continue;
    }
    if (r.sw === 0x6b00 && offset > 0) {
      p.total = offset;
      break;
    }
    throw new ReaderError(
      'ERR_PROTOCOL_UNSUPPORTED',
      `files: READ BINARY ${ef.name} answered ${swHex(r.sw)}`,
      { sw: r.sw },
    );
  }
  return p.data;
}
