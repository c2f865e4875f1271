/**
 * The transport contract — the only thing a platform supplies to read a chip (ISO/IEC 7816-4 APDUs over
 * NFC or a contact/contactless PC/SC reader) — and the plain APDU channel the reader builds on it:
 * counters, the redacted APDU log, abort, and ISO/IEC 7816-4 §5.3.4 GET RESPONSE for 61xx.
 */

import { concat } from '../lib/bytes.ts';
import { type CommandAPDU, decodeResponse, encodeCommand, type ResponseAPDU, SW } from './apdu.ts';
import { ReaderError } from './errors.ts';

/**
 * Sends one command APDU to the chip and returns its response APDU (data followed by SW1 SW2).
 * Optional hints: the largest command and response the platform can carry (Android's
 * `IsoDep.getMaxTransceiveLength`), and whether extended-length APDUs go through.
 */
export interface ChipTransport {
  transceive(command: Uint8Array): Promise<Uint8Array>;
  readonly maxCommandLength?: number;
  readonly maxResponseLength?: number;
  readonly extendedLength?: boolean;
}

/** One exchange in the APDU log — never any data field: no personal data, no keys. */
export interface ApduLogEntry {
  /** 1-based position in the read. */
  readonly n: number;
  /** What the command is (`SELECT`, `READ BINARY`, `GENERAL AUTHENTICATE`…). */
  readonly command: string;
  /** CLA INS P1 P2 in hex. */
  readonly header: string;
  /** Lc (command data length) and Ne (expected length) of the APDU on the wire. */
  readonly lc: number;
  readonly ne: number;
  /** Status word in hex (`9000`), or `error` when the transport failed. */
  readonly sw: string;
  /** Response data length in bytes. */
  readonly responseLength: number;
  /** Wall time in ms. */
  readonly ms: number;
}

/** Counters of a read. */
export interface ReadCounters {
  apdus: number;
  bytesSent: number;
  bytesReceived: number;
}

const INS_NAMES: Readonly<Record<number, string>> = {
  164: 'SELECT',
  176: 'READ BINARY',
  177: 'READ BINARY',
  132: 'GET CHALLENGE',
  130: 'EXTERNAL AUTHENTICATE',
  136: 'INTERNAL AUTHENTICATE',
  34: 'MSE',
  134: 'GENERAL AUTHENTICATE',
  192: 'GET RESPONSE',
};

const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** What sends APDUs: the plain channel, or secure messaging wrapping it. */
export interface Channel {
  send(command: CommandAPDU, options?: { extended?: boolean }): Promise<ResponseAPDU>;
}

/** The plain channel over a transport: counts, logs (redacted), honours the abort signal, follows 61xx. */
export class PlainChannel implements Channel {
  readonly counters: ReadCounters = { apdus: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly transport: ChipTransport;
  private readonly signal: AbortSignal | undefined;
  private readonly log: ((e: ApduLogEntry) => void) | undefined;

  constructor(
    transport: ChipTransport,
    options: { signal?: AbortSignal | undefined; log?: ((e: ApduLogEntry) => void) | undefined } = {},
  ) {
    this.transport = transport;
    this.signal = options.signal;
    this.log = options.log;
  }

  /** Whether the transport says extended-length APDUs go through. */
  get extendedLength(): boolean {
    return this.transport.extendedLength === true;
  }

  /** The largest response APDU the transport carries (default 258: 256 data + SW). */
  get maxResponseLength(): number {
    return this.transport.maxResponseLength ?? (this.extendedLength ? 65538 : 258);
  }

  /** The largest command APDU the transport carries. */
  get maxCommandLength(): number {
    return this.transport.maxCommandLength ?? (this.extendedLength ? 65544 : 261);
  }

  /** Sends raw bytes; a transport failure or an abort becomes `ERR_TRANSPORT`. */
  async transmit(raw: Uint8Array): Promise<ResponseAPDU> {
    if (this.signal?.aborted)
      throw new ReaderError('ERR_TRANSPORT', 'reader: read aborted', { cause: this.signal.reason });
    const t0 = now();
    this.counters.apdus++;
    this.counters.bytesSent += raw.length;
    let out: Uint8Array;
    try {
      out = await this.withAbort(this.transport.transceive(raw));
    } catch (cause) {
      this.record(raw, 'error', 0, t0);
      throw new ReaderError('ERR_TRANSPORT', 'reader: the transport failed (tag lost or timeout)', { cause });
    }
    this.counters.bytesReceived += out.length;
    const r = decodeResponse(out);
    this.record(raw, hex2(r.sw >> 8) + hex2(r.sw & 0xff), r.data.length, t0);
    return r;
  }

  /** The transport's answer, or a rejection as soon as the signal aborts (a hung NFC call does not hold the read). */
  private withAbort<T>(p: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private record(raw: Uint8Array, sw: string, responseLength: number, t0: number): void {
    if (!this.log) return;
    const { lc, ne } = apduLengths(raw);
    this.log({
      n: this.counters.apdus,
      command: INS_NAMES[raw[1] ?? 0] ?? `INS ${hex2(raw[1] ?? 0)}`,
      header: Array.from(raw.subarray(0, 4), hex2).join(''),
      lc,
      ne,
      sw,
      responseLength,
      ms: Math.round((now() - t0) * 10) / 10,
    });
  }

  /** Sends a command; 61xx answers are completed with GET RESPONSE (ISO/IEC 7816-4 §5.3.4). */
  async send(command: CommandAPDU, options?: { extended?: boolean }): Promise<ResponseAPDU> {
    const r = await this.transmit(encodeCommand(command, options?.extended === true));
    if (r.sw >> 8 !== 0x61) return r;
    const parts: Uint8Array[] = [r.data];
    let sw = r.sw;
    for (let i = 0; i < 256 && sw >> 8 === 0x61; i++) {
      const more = await this.transmit(
        encodeCommand({ cla: command.cla & 0x03, ins: 0xc0, p1: 0, p2: 0, ne: sw & 0xff || 256 }),
      );
      parts.push(more.data);
      sw = more.sw;
    }
    return { data: concat(...parts), sw: sw >> 8 === 0x61 ? SW.OK : sw };
  }
}

/** Lc and Ne of an encoded command APDU (for the log). */
function apduLengths(raw: Uint8Array): { lc: number; ne: number } {
  const body = raw.length - 4;
  if (body <= 0) return { lc: 0, ne: 0 };
  const b0 = raw[4]!;
  if (body === 1) return { lc: 0, ne: b0 || 256 };
  if (b0 !== 0) {
    const lc = b0;
    const rest = body - 1 - lc;
    return { lc, ne: rest === 1 ? raw[raw.length - 1]! || 256 : 0 };
  }
  if (body === 3) return { lc: 0, ne: (raw[5]! << 8) | raw[6]! || 65536 };
  const lc = (raw[5]! << 8) | raw[6]!;
  const rest = body - 3 - lc;
  return { lc, ne: rest === 2 ? (raw[raw.length - 2]! << 8) | raw[raw.length - 1]! || 65536 : 0 };
}
