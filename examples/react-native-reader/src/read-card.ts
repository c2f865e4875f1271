/**
 * One CCCD read over NFC that survives the card slipping away: each tap runs `readChip`
 * (ICAO Doc 9303 Part 11 access control + secure messaging, `@chipid/sdk/reader`); when the tag is
 * lost (ERR_TRANSPORT) the files read so far (`error.partial`) carry over, the user is asked to tap
 * again, and the next tap redoes access control and continues at the next offset — a re-tap does not
 * re-read DG2 from the start.
 */
import {
  type ChipRead,
  type ReadChipOptions,
  type ReadKey,
  type ReadProgress,
  readChip,
} from '@chipid/sdk/reader';
import { type NfcModule, openNfcTransport } from './nfc-transport.ts';

/** The hint shown while the card is read, in Vietnamese and English. */
export const HOLD_STILL = {
  vi: 'Giữ yên thẻ CCCD áp sát mặt sau điện thoại cho đến khi đọc xong',
  en: 'Hold the card still against the back of the phone until the read finishes',
} as const;

/** The hint shown after the card slipped away. */
export const TAP_AGAIN = {
  vi: 'Mất kết nối với thẻ — áp thẻ lại, việc đọc sẽ tiếp tục',
  en: 'The card slipped away — tap it again; the read continues where it stopped',
} as const;

/** Options for {@link readCardWithRetaps}. */
export interface ReadCardOptions {
  nfc: NfcModule;
  platform: 'ios' | 'android';
  key: ReadKey;
  /** The service's challenge (from the RP backend), signed by the chip (Active Authentication). */
  challenge?: Uint8Array;
  onProgress?: (p: ReadProgress) => void;
  /** Called before each new tap after the first (show {@link TAP_AGAIN}); attempt counts from 2. */
  onRetap?: (attempt: number) => void;
  /** Taps at most (default 5). */
  maxTaps?: number;
  signal?: AbortSignal;
  /** Clock for the iOS session limit (tests). */
  now?: () => number;
  /** Tests only (readChip's random source). */
  random?: ReadChipOptions['random'];
}

/** The read and how many taps it took. */
export interface CardRead {
  read: ChipRead;
  taps: number;
}

const isTransportLoss = (e: unknown): e is { code: 'ERR_TRANSPORT'; partial?: ReadChipOptions['resume'] } =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_TRANSPORT';

/**
 * Reads the card, asking for another tap each time the tag is lost, continuing from the partial read.
 * Throws the reader's error otherwise (ERR_ACCESS_DENIED: wrong CAN/dates — never retried, cards
 * count failed attempts).
 *
 * @example
 * const { read } = await readCardWithRetaps({ nfc: NfcManager, platform: 'android', key: { can } });
 */
export async function readCardWithRetaps(options: ReadCardOptions): Promise<CardRead> {
  const maxTaps = options.maxTaps ?? 5;
  let resume: ReadChipOptions['resume'];
  for (let tap = 1; ; tap++) {
    if (tap > 1) options.onRetap?.(tap);
    const transport = await openNfcTransport(options.nfc, {
      platform: options.platform,
      alertMessage: `${HOLD_STILL.vi}\n${HOLD_STILL.en}`,
      ...(options.now ? { now: options.now } : {}),
    });
    try {
      const read = await readChip(transport, {
        key: options.key,
        ...(options.challenge ? { challenge: options.challenge } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(resume ? { resume } : {}),
      });
      await transport.close();
      return { read, taps: tap };
    } catch (e) {
      await transport.close(isTransportLoss(e) ? `${TAP_AGAIN.vi}\n${TAP_AGAIN.en}` : undefined);
      if (!isTransportLoss(e) || tap >= maxTaps || options.signal?.aborted) throw e;
      // Keep what was read; a loss before any file was complete keeps the previous partial.
      resume = e.partial ?? resume;
    }
  }
}
