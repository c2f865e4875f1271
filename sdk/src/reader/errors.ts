/**
 * Reader errors — Doc 9303 Part 11 access control, secure messaging and file reading failures, each
 * with a stable code and a hint a person can act on. A read interrupted after access control carries
 * the files read so far (`partial`), so a new `readChip` can continue where it stopped.
 */
import { ChipIdError, type ErrorCode } from '../errors.ts';

/** The codes the reader raises. */
export type ReaderErrorCode =
  | 'ERR_ACCESS_DENIED'
  | 'ERR_TRANSPORT'
  | 'ERR_SECURE_MESSAGING'
  | 'ERR_PROTOCOL_UNSUPPORTED'
  | 'ERR_FILE_NOT_FOUND';

/** What to tell the user, per code. */
export const READER_HINTS = {
  ERR_ACCESS_DENIED:
    'The card refused the access key: check the CAN (last 6 digits of the CCCD id number) or the MRZ (document number, birth and expiry dates). Do not retry with the same key: cards count failed attempts.',
  ERR_TRANSPORT:
    'The connection to the chip was lost (card moved or timed out): hold the card still against the reader or phone and try again; the read continues where it stopped.',
  ERR_SECURE_MESSAGING:
    'The secure channel with the chip broke (a MAC or padding check failed): read the card again; if it repeats, the chip or the reader is faulty.',
  ERR_PROTOCOL_UNSUPPORTED:
    'The chip offers no access protocol or algorithm this reader supports: report the card model to support.',
  ERR_FILE_NOT_FOUND:
    'The chip does not have a file its security object lists: read the card again; if it repeats, the chip is not genuine or damaged.',
} as const satisfies Record<ReaderErrorCode, string>;

/**
 * What was read before an interruption: complete files (base64 of each file's bytes, by dump member
 * name), the bytes of the file in progress, and what access control ran — enough to continue after
 * access control is redone.
 */
export interface PartialRead {
  readonly format: 'chipid.partial/1';
  /** Complete files, dump member name → base64 (`com`, `sod`, `dg1`…, `cardAccess`). */
  readonly files: Readonly<Record<string, string>>;
  /** The file being read when the read stopped. */
  readonly current?: { readonly file: string; readonly data: string; readonly total?: number };
  /** Chip Authentication outcome so far, when it already ran. */
  readonly chipAuthentication?: 'passed' | 'failed' | 'not-supported' | 'skipped';
  /** The read died on an extended-length APDU: continue with short ones. */
  readonly shortOnly?: boolean;
}

/** A reader failure: a stable `code`, a `hint` for the user, the chip's status word when it answered. */
export class ReaderError extends ChipIdError {
  /** What to tell the user. */
  readonly hint: string;
  /** The status word the chip answered (e.g. 0x6982), when the failure is a chip's answer. */
  readonly sw: number | undefined;
  /** What was read before the failure, when a read was under way (pass it as `resume`). */
  partial: PartialRead | undefined;
  constructor(
    code: ReaderErrorCode,
    message: string,
    options?: { cause?: unknown; sw?: number; partial?: PartialRead },
  ) {
    super(code as ErrorCode, message, options);
    this.name = 'ReaderError';
    this.hint = READER_HINTS[code];
    this.sw = options?.sw;
    this.partial = options?.partial;
  }
}
