/**
 * PC/SC readers for the CLI (Node only) — PC/SC Workgroup specifications Part 5 (SCardListReaders,
 * SCardConnect, SCardTransmit) through pcsc-lite's `pcscd` on Linux, WinSCard on Windows, the
 * PCSC framework on macOS, via the `smartcard` N-API binding.
 *
 * The binding is an OPTIONAL dependency loaded with a dynamic import only here, so `@chipid/sdk`
 * stays free of native code; when it (or pcscd) is missing the CLI says what to install (exit 2).
 *
 * Contactless cards are presented by PC/SC readers as T=1 cards (PC/SC Part 3 §3.1.3.2.3, the
 * pseudo-ATR built from the ATS). Extended-length APDUs (ISO/IEC 7816-4 §5.1) are announced to
 * `readChip` only when the card says it takes them (the card-capabilities byte of the ATR's
 * historical bytes, ISO/IEC 7816-4 §8.1.1.2.7) and the reader does not say it cannot
 * (dwMaxAPDUDataSize of FEATURE_GET_TLV_PROPERTIES, PC/SC Part 10 §2.6.14).
 */
import { ChipIdError } from '../errors.ts';
import { ReaderError } from '../reader/errors.ts';
import type { ChipTransport } from '../reader/transport.ts';

/** The slice of the `smartcard` package this module uses (its own types are in its package). */
interface PcscCard {
  readonly protocol: number;
  readonly atr: Uint8Array | null;
  transmit(command: Uint8Array | number[], options?: { maxRecvLength?: number }): Promise<Uint8Array>;
  control(code: number, data?: Uint8Array | number[]): Promise<Uint8Array>;
  disconnect(disposition?: number): void;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
}
interface PcscReader {
  readonly name: string;
  readonly state: number;
  readonly atr: Uint8Array | null;
  connect(shareMode?: number, protocol?: number): Promise<PcscCard>;
}
interface PcscContext {
  listReaders(): PcscReader[];
  close(): void;
}
/** The `smartcard` module's surface used here. */
export interface PcscBinding {
  Context: new () => PcscContext;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_RESET_CARD: number;
  SCARD_LEAVE_CARD: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_MUTE?: number;
  CM_IOCTL_GET_FEATURE_REQUEST?: number;
  FEATURE_GET_TLV_PROPERTIES?: number;
}

/** What to install, said once for every "PC/SC is not available" message. */
export const PCSC_INSTALL_HINT =
  "Debian/Ubuntu: apt-get install pcscd libpcsclite-dev g++ make (plus your reader's driver, e.g. libccid), start pcscd, then npm install smartcard in the chipid install";

/**
 * The PC/SC stack is missing or has no usable reader/card: exit 2 (an unusable setup, not a check
 * that failed). Code ERR_CONFIG; the message says what is missing and what to install.
 */
export class PcscUnavailableError extends ChipIdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
    this.name = 'PcscUnavailableError';
  }
}

/**
 * Loads the optional PC/SC binding (`smartcard`). Throws PcscUnavailableError saying what to
 * install when the package is not installed or its native part was not built.
 *
 * @example
 * const pcsc = await loadPcscBinding();
 */
export async function loadPcscBinding(specifier = 'smartcard'): Promise<PcscBinding> {
  try {
    const mod = (await import(specifier)) as { default?: PcscBinding } & Partial<PcscBinding>;
    const binding = (mod.Context ? mod : mod.default) as PcscBinding | undefined;
    if (!binding?.Context) throw new Error(`${specifier} has no PC/SC Context`);
    return binding;
  } catch (cause) {
    const why =
      (cause as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND' ? 'is not installed' : 'did not load';
    throw new PcscUnavailableError(
      `PC/SC: the optional binding '${specifier}' ${why} (its native part builds with node-gyp against libpcsclite) — ${PCSC_INSTALL_HINT}`,
      { cause },
    );
  }
}

function openContext(pcsc: PcscBinding): PcscContext {
  try {
    return new pcsc.Context();
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new PcscUnavailableError(
      /service not running|no service|0x8010001d/i.test(msg)
        ? `PC/SC: pcscd is not running (no PC/SC service) — start it (pcscd, or systemctl start pcscd.socket); ${PCSC_INSTALL_HINT}`
        : `PC/SC: cannot open a PC/SC context (${msg}) — ${PCSC_INSTALL_HINT}`,
      { cause },
    );
  }
}

function listFrom(ctx: PcscContext): PcscReader[] {
  try {
    return ctx.listReaders();
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    if (/no readers|0x8010002e/i.test(msg)) return [];
    throw new PcscUnavailableError(`PC/SC: cannot list readers (${msg})`, { cause });
  }
}

/** One PC/SC reader and what it holds. */
export interface PcscReaderInfo {
  name: string;
  cardPresent: boolean;
  /** The card's ATR (upper-case hex) when a card is present. */
  atr?: string;
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

/**
 * The PC/SC readers and whether each holds a card. Throws PcscUnavailableError when the binding or
 * the PC/SC service is missing; no readers is an empty list.
 *
 * @example
 * for (const r of await listPcscReaders()) console.log(r.name, r.cardPresent);
 */
export async function listPcscReaders(): Promise<PcscReaderInfo[]> {
  const pcsc = await loadPcscBinding();
  const ctx = openContext(pcsc);
  try {
    return listFrom(ctx).map((r) => {
      const cardPresent = (r.state & pcsc.SCARD_STATE_PRESENT) !== 0;
      return cardPresent && r.atr?.length
        ? { name: r.name, cardPresent, atr: hex(r.atr) }
        : { name: r.name, cardPresent };
    });
  } finally {
    ctx.close();
  }
}

/**
 * Whether the ATR's historical bytes say the card takes extended Lc/Le: compact-TLV (category
 * indicator 80) card-capabilities object, tag 7, third software-function byte bit 0x40
 * (ISO/IEC 7816-4 §8.1.1.2.7, table 88). False when the ATR does not say.
 */
export function atrAnnouncesExtendedLength(atr: Uint8Array): boolean {
  const t0 = atr[1];
  if (atr[0] === undefined || t0 === undefined) return false;
  // Skip the interface bytes (ISO/IEC 7816-3 §8.2): TD_i's high nibble says which of TA..TD follow.
  let i = 2;
  let y = t0 >> 4;
  for (;;) {
    const td = y & 0x8;
    i += ((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1)) as number;
    if (!td) break;
    const tdByte = atr[i];
    if (tdByte === undefined) return false;
    i++;
    y = tdByte >> 4;
  }
  const historical = atr.subarray(i, i + (t0 & 0x0f));
  if (historical[0] !== 0x80) return false;
  for (let p = 1; p < historical.length; ) {
    const tl = historical[p] ?? 0;
    const tag = tl >> 4;
    const len = tl & 0x0f;
    if (tag === 0x7 && len >= 3) return ((historical[p + 3] ?? 0) & 0x40) !== 0;
    p += 1 + len;
  }
  return false;
}

/** dwMaxAPDUDataSize from the reader's TLV properties; undefined when the reader does not say. */
async function readerMaxApduData(pcsc: PcscBinding, card: PcscCard): Promise<number | undefined> {
  if (pcsc.CM_IOCTL_GET_FEATURE_REQUEST === undefined || pcsc.FEATURE_GET_TLV_PROPERTIES === undefined)
    return;
  try {
    const features = await card.control(pcsc.CM_IOCTL_GET_FEATURE_REQUEST);
    let code: number | undefined;
    for (let p = 0; p + 6 <= features.length; p += 6) {
      // PC/SC Part 10 §2.2: tag (1) length 4, control code big-endian
      if (features[p] === pcsc.FEATURE_GET_TLV_PROPERTIES && features[p + 1] === 4) {
        code = new DataView(features.buffer, features.byteOffset + p + 2, 4).getUint32(0);
      }
    }
    if (code === undefined) return;
    const tlv = await card.control(code);
    for (let p = 0; p + 2 <= tlv.length; ) {
      const tag = tlv[p] ?? 0;
      const len = tlv[p + 1] ?? 0;
      // tag 0x0A dwMaxAPDUDataSize, little-endian (PC/SC Part 10 §2.6.14)
      if (tag === 0x0a && len === 4 && p + 6 <= tlv.length) {
        return new DataView(tlv.buffer, tlv.byteOffset + p + 2, 4).getUint32(0, true);
      }
      p += 2 + len;
    }
  } catch {
    // Readers without the feature (vpcd, some contactless readers): the reader does not say.
  }
  return;
}

/** A card in a PC/SC reader as a `ChipTransport`; `close()` resets the card (drops the SM session). */
export interface PcscTransport extends ChipTransport {
  /** The reader's name. */
  readonly reader: string;
  /** The card's ATR. */
  readonly atr: Uint8Array;
  close(): Promise<void>;
}

function pickReader(readers: PcscReader[], presentMask: number, name: string | undefined): PcscReader {
  const names = readers.map((r) => `'${r.name}'`).join(', ');
  if (readers.length === 0) {
    throw new PcscUnavailableError(
      'PC/SC: no reader found — plug in a reader (and install its driver, e.g. libccid)',
    );
  }
  if (name === undefined) {
    const withCard = readers.find((r) => (r.state & presentMask) !== 0);
    if (!withCard)
      throw new PcscUnavailableError(
        `PC/SC: no card in any reader (${names}) — place the card on the reader`,
      );
    return withCard;
  }
  const exact = readers.find((r) => r.name === name);
  if (exact) return exact;
  const loose = readers.filter((r) => r.name.toLowerCase().includes(name.toLowerCase()));
  if (loose.length === 1 && loose[0]) return loose[0];
  throw new PcscUnavailableError(
    loose.length > 1
      ? `PC/SC: '${name}' matches several readers (${loose.map((r) => `'${r.name}'`).join(', ')}) — give the full name`
      : `PC/SC: no reader named '${name}' (readers: ${names}) — 'chipid readers' lists them`,
  );
}

/**
 * Opens the card in PC/SC reader `name` (exact name, or a unique part of it; no name = the first
 * reader holding a card) with protocol T=1, as a `ChipTransport` for `readChip`.
 *
 * Throws PcscUnavailableError (ERR_CONFIG, exit 2) when the binding, pcscd, the reader or the card
 * is missing; a transmit that fails (card removed, reader unplugged) throws ReaderError ERR_TRANSPORT.
 *
 * @example
 * const t = await openPcscTransport('Virtual PCD 00 00');
 * try { const read = await readChip(t, { key: { can: '123456' } }); } finally { await t.close(); }
 */
export async function openPcscTransport(name?: string): Promise<PcscTransport> {
  const pcsc = await loadPcscBinding();
  const ctx = openContext(pcsc);
  let card: PcscCard;
  let reader: PcscReader;
  try {
    reader = pickReader(listFrom(ctx), pcsc.SCARD_STATE_PRESENT, name);
    if ((reader.state & pcsc.SCARD_STATE_PRESENT) === 0) {
      throw new PcscUnavailableError(
        `PC/SC: no card in reader '${reader.name}' — place the card on the reader`,
      );
    }
    try {
      card = await reader.connect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T1);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new PcscUnavailableError(
        `PC/SC: cannot connect to the card in '${reader.name}' with T=1 (${msg})`,
        {
          cause,
        },
      );
    }
  } catch (e) {
    ctx.close();
    throw e;
  }
  const atr = new Uint8Array(card.atr ?? reader.atr ?? []);
  const readerMax = await readerMaxApduData(pcsc, card);
  const extendedLength = atrAnnouncesExtendedLength(atr) && (readerMax === undefined || readerMax > 256);
  // Whole APDUs, as ChipTransport counts them. Short: header 4 + Lc 1 + 255 data + Le 1 = 261, and a
  // response of 256 data + SW1 SW2 (ISO/IEC 7816-4 §5.1). Extended: the reader's data limit (65535
  // when it does not say) + 9 (header, 3-byte Lc, 2-byte Le) and + 2 for the response.
  const maxData = Math.min(readerMax ?? 65535, 65535);
  const maxCommand = extendedLength ? maxData + 9 : 261;
  const maxResponse = extendedLength ? Math.max(maxData, 256) + 2 : 258;
  let closed = false;
  const transport: PcscTransport = {
    reader: reader.name,
    atr,
    extendedLength,
    maxCommandLength: maxCommand,
    maxResponseLength: maxResponse,
    async transceive(command: Uint8Array): Promise<Uint8Array> {
      if (closed) throw new ReaderError('ERR_TRANSPORT', 'PC/SC: the connection is closed');
      try {
        const r = await card.transmit(command, { maxRecvLength: maxResponse });
        return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
      } catch (cause) {
        const msg = cause instanceof Error ? cause.message : String(cause);
        throw new ReaderError('ERR_TRANSPORT', `PC/SC: transmit failed (${msg})`, { cause });
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Reset the card (ends the secure-messaging session) with the binding's asynchronous reconnect:
      // its disconnect is synchronous, and a card served from this process (a virtual chip on vpcd)
      // could not answer the reset while the event loop waits in it.
      try {
        await card.reconnect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T1, pcsc.SCARD_RESET_CARD);
      } catch {
        // already gone (card removed): nothing to reset
      }
      try {
        card.disconnect(pcsc.SCARD_LEAVE_CARD);
      } catch {
        // already gone: nothing to release
      }
      ctx.close();
    },
  };
  return transport;
}
