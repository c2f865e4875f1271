/**
 * A `ChipTransport` over react-native-nfc-manager — ISO/IEC 14443-4 (ISO-DEP) on Android
 * (`android.nfc.tech.IsoDep`), `NFCISO7816Tag` on iOS (Core NFC) — for `readChip` from
 * `@chipid/sdk/reader`.
 *
 * - Android: IsoDep's default timeout (~1 s on many phones) is shorter than a CCCD's PACE or Chip
 *   Authentication step, so it is raised to at least 5 s after the tag connects; the largest APDU is
 *   `getMaxTransceiveLength()` (261 = short only; above it the phone carries extended APDUs).
 * - iOS: Core NFC ends a reader session 20 s after it starts (NFCReaderSession, "session timeout"),
 *   whatever the card is doing. The transport refuses an APDU once the session's time is up, so the
 *   read stops with ERR_TRANSPORT and its `partial` — the next tap continues from there.
 *
 * Only types come from react-native-nfc-manager: the module object is passed in (`nfc`), so the same
 * code runs against a fake in tests.
 */
import type { ChipTransport } from '@chipid/sdk/reader';
import type { NfcManager, NfcTech } from 'react-native-nfc-manager';

/** The part of react-native-nfc-manager's `NfcManager` the reader uses. */
export type NfcModule = Pick<
  NfcManager,
  | 'requestTechnology'
  | 'cancelTechnologyRequest'
  | 'isoDepHandler'
  | 'setTimeout'
  | 'getMaxTransceiveLength'
  | 'setAlertMessageIOS'
  | 'invalidateSessionWithErrorIOS'
>;

/** `NfcTech.IsoDep` (the enum's value; the enum itself lives in native-backed JS). */
export const ISO_DEP = 'IsoDep' as NfcTech;

/** Android: IsoDep timeout for each APDU, ms (≥ 5 s: PACE and CA on a CCCD take seconds on slow chips). */
export const ANDROID_ISODEP_TIMEOUT_MS = 5000;
/** iOS: Core NFC's reader-session limit, ms. */
export const IOS_SESSION_LIMIT_MS = 20_000;
/** iOS: an APDU is not started when less than this is left of the session (it could not finish). */
export const IOS_SESSION_MARGIN_MS = 500;

/** Options for {@link openNfcTransport}. */
export interface NfcTransportOptions {
  platform: 'ios' | 'android';
  /** iOS: the text of the system NFC sheet while it waits for the card. */
  alertMessage?: string;
  /** Android: IsoDep timeout, ms (raised to at least {@link ANDROID_ISODEP_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** An open NFC connection to the card; `close()` ends the NFC session (iOS: with `message` shown). */
export interface NfcTransport extends ChipTransport {
  /** iOS: ms left of the 20 s session; Android: Infinity. */
  remainingMs(): number;
  close(message?: string): Promise<void>;
}

/** The tag left (or iOS ended the session): what readChip turns into ERR_TRANSPORT with a partial read. */
export class NfcSessionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NfcSessionError';
  }
}

/**
 * Waits for an ISO-DEP card (the user taps it) and opens it as a `ChipTransport`.
 *
 * @example
 * import NfcManager from 'react-native-nfc-manager';
 * const t = await openNfcTransport(NfcManager, { platform: Platform.OS === 'ios' ? 'ios' : 'android' });
 * try { const read = await readChip(t, { key: { can } }); } finally { await t.close(); }
 */
export async function openNfcTransport(nfc: NfcModule, options: NfcTransportOptions): Promise<NfcTransport> {
  const now = options.now ?? Date.now;
  const ios = options.platform === 'ios';
  const tech = await nfc.requestTechnology(
    ISO_DEP,
    ios && options.alertMessage !== undefined ? { alertMessage: options.alertMessage } : {},
  );
  if (tech !== ISO_DEP) {
    await nfc.cancelTechnologyRequest().catch(() => {});
    throw new NfcSessionError('NFC: the tag is not an ISO-DEP (ISO/IEC 14443-4) card');
  }
  const started = now();
  let maxTransceive: number | undefined;
  if (!ios) {
    await nfc.setTimeout(Math.max(options.timeoutMs ?? 0, ANDROID_ISODEP_TIMEOUT_MS));
    maxTransceive = await nfc.getMaxTransceiveLength();
  }
  // Android: above 261 bytes (short APDU) the phone carries extended APDUs (IsoDep.isExtendedLengthApduSupported).
  const extendedLength = maxTransceive !== undefined && maxTransceive > 261;
  let closed = false;
  const remainingMs = (): number =>
    ios ? IOS_SESSION_LIMIT_MS - (now() - started) : Number.POSITIVE_INFINITY;
  const transport: NfcTransport = {
    extendedLength,
    ...(maxTransceive !== undefined
      ? { maxCommandLength: maxTransceive, maxResponseLength: extendedLength ? maxTransceive : 258 }
      : { maxCommandLength: 261, maxResponseLength: 258 }),
    remainingMs,
    async transceive(command: Uint8Array): Promise<Uint8Array> {
      if (closed) throw new NfcSessionError('NFC: the session is closed');
      if (remainingMs() < IOS_SESSION_MARGIN_MS) {
        throw new NfcSessionError('NFC: iOS ended the reader session (20 s limit) — tap the card again');
      }
      try {
        return Uint8Array.from(await nfc.isoDepHandler.transceive(Array.from(command)));
      } catch (cause) {
        throw new NfcSessionError('NFC: the tag connection was lost — hold the card still', { cause });
      }
    },
    async close(message?: string): Promise<void> {
      if (closed) return;
      closed = true;
      if (ios && message !== undefined) {
        await nfc.invalidateSessionWithErrorIOS(message).catch(() => {});
        return;
      }
      await nfc.cancelTechnologyRequest().catch(() => {});
    },
  };
  return transport;
}
