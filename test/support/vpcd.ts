/**
 * A card for vsmartcard's virtual reader (vpcd, the pcsc-lite driver of Debian's `vsmartcard-vpcd`):
 * connects to vpcd's socket and answers what pcscd sends, so any in-process `transceive` (the
 * project's APDU virtual chip) becomes a card in reader "Virtual PCD 00 0n" for every PC/SC client.
 *
 * vpcd's socket protocol (vsmartcard `vpcd.c`, `virtualsmartcard/VirtualSmartcard.py`): each message
 * is a 2-byte big-endian length, then the payload. A 1-byte payload is a control code — 00 power off,
 * 01 power on, 02 reset, 04 get ATR (answered with the ATR) — anything longer is a command APDU,
 * answered with the response APDU (data ‖ SW1 SW2).
 *
 * vpcd is the listening side (port 0x8C7B = 35963 for reader 00 00 in /etc/reader.conf.d/vpcd, the
 * next port for each further slot); the card connects to it.
 */
import { Socket } from 'node:net';

/** What vpcd needs of a card. */
export interface VpcdCard {
  readonly atr: Uint8Array;
  transceive(command: Uint8Array): Promise<Uint8Array>;
  powerOn?(): void;
  powerOff?(): void;
  reset?(): void;
}

export const VPCD_PORT = 35963;

/** Counters of what vpcd sent. */
export interface VpcdStats {
  apdus: number;
  powerOn: number;
  powerOff: number;
  reset: number;
}

/** A card plugged into vpcd; `close()` pulls it out (the reader reports it removed). */
export interface VpcdConnection {
  readonly stats: VpcdStats;
  close(): Promise<void>;
}

/**
 * Connects `card` to vpcd at 127.0.0.1:`port`; resolves once connected. A transceive that throws is
 * answered 6F00 (no precise diagnosis, ISO/IEC 7816-4 §5.6) so pcscd never hangs on a lost answer.
 */
export function connectVpcd(card: VpcdCard, port = VPCD_PORT, host = '127.0.0.1'): Promise<VpcdConnection> {
  const stats: VpcdStats = { apdus: 0, powerOn: 0, powerOff: 0, reset: 0 };
  const socket = new Socket();
  socket.setNoDelay(true);
  let buffer = new Uint8Array(0);
  // One message at a time, in order: a slow answer must not let the next one overtake it.
  let queue: Promise<void> = Promise.resolve();

  const send = (payload: Uint8Array): void => {
    const frame = new Uint8Array(2 + payload.length);
    frame[0] = payload.length >> 8;
    frame[1] = payload.length & 0xff;
    frame.set(payload, 2);
    socket.write(frame);
  };

  const handle = async (msg: Uint8Array): Promise<void> => {
    if (msg.length === 1) {
      switch (msg[0]) {
        case 0x00:
          stats.powerOff++;
          card.powerOff?.();
          return;
        case 0x01:
          stats.powerOn++;
          card.powerOn?.();
          return;
        case 0x02:
          stats.reset++;
          card.reset?.();
          return;
        case 0x04:
          send(card.atr);
          return;
        default:
          return; // unknown control codes have no answer in vpcd's protocol
      }
    }
    stats.apdus++;
    let response: Uint8Array;
    try {
      response = await card.transceive(msg);
    } catch {
      response = Uint8Array.of(0x6f, 0x00);
    }
    send(response);
  };

  socket.on('data', (chunk: Buffer) => {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
    while (buffer.length >= 2) {
      const len = ((buffer[0] ?? 0) << 8) | (buffer[1] ?? 0);
      if (buffer.length < 2 + len) break;
      const msg = buffer.slice(2, 2 + len);
      buffer = buffer.slice(2 + len);
      queue = queue.then(() => handle(msg));
    }
  });

  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // vpcd going away ends the card; close() reports nothing more
      resolve({
        stats,
        close: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once('close', () => done());
            socket.destroy();
          }),
      });
    });
  });
}
