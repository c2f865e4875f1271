/**
 * readChip — the whole read of an eMRTD / CCCD chip over any transport (Doc 9303 Part 10 §3, Part 11 §4,
 * §6, §9.8): EF.CardAccess (short EF id, or SELECT 011C with P1=02 when SELECT MF fails) → PACE when
 * offered (CAN first for a CCCD), else BAC → SELECT the eMRTD application → EF.COM, EF.SOD, DG14 →
 * Chip Authentication (or the PACE-CAM check) → every other file the SOD lists → Active Authentication
 * on the caller's challenge. A broken session (6987/6988) is re-established and the read continues; an
 * interrupted read throws with `error.partial`, and `readChip(t, { ...options, resume: error.partial })`
 * continues at the next offset after redoing access control.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { parseDG14, parseSecurityInfos, type SecurityInfo } from '../icao/dg14.ts';
import { parseDG15 } from '../icao/dg15.ts';
import { type ChipDumpJSON, DUMP_FORMAT, type DumpPartName } from '../icao/dump.ts';
import { mrzInformation } from '../icao/mrz.ts';
import { parseSOD } from '../icao/sod.ts';
import { fromBase64, toBase64 } from '../lib/bytes.ts';
import { SW, swHex } from './apdu.ts';
import { performBAC } from './bac.ts';
import { camStaticKey, chipAuthOffer, performChipAuthentication } from './chip-auth.ts';
import type { SMCipher } from './crypto/kdf.ts';
import { PACE_PARAMETER_NAMES } from './crypto/pace-math.ts';
import { type PartialRead, ReaderError } from './errors.ts';
import { type ChunkPolicy, dgRef, EF, type EFRef, type FileProgress, initialChunk, readEF } from './files.ts';
import {
  type PACEPassword,
  type PACEProtocol,
  type PendingCAM,
  paceProtocols,
  performPACE,
  verifyCAM,
} from './pace.ts';
import { SecureChannel } from './sm.ts';
import { type ApduLogEntry, type ChipTransport, PlainChannel, type ReadCounters } from './transport.ts';

/** The eMRTD application identifier (Doc 9303 Part 10 §3.1). */
export const EMRTD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

/** The access key: the CAN, the MRZ's three fields, or a CCCD's id number and dates (dates YYMMDD). */
export type ReadKey =
  | { can: string }
  | { mrz: { documentNumber: string; dateOfBirth: string; dateOfExpiry: string } }
  | { cccd: { idNumber: string; dateOfBirth: string; dateOfExpiry: string } };

/** Progress of a read. */
export interface ReadProgress {
  /** `card-access`, `pace`, `bac`, `select-application`, `read`, `chip-authentication`, `active-authentication`, `done`. */
  step: string;
  file?: string;
  bytesRead?: number;
  bytesTotal?: number;
}

/** Options of {@link readChip}. */
export interface ReadChipOptions {
  key: ReadKey;
  /** The service's challenge (POST /v1/challenges): answered by INTERNAL AUTHENTICATE into the dump's `aa`. */
  challenge?: Uint8Array;
  /** Which dump members to read (default: every file the SOD lists that a dump carries). */
  files?: DumpPartName[];
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
  /** An interrupted read's `error.partial`: the read continues where it stopped. */
  resume?: PartialRead;
  /** Tests only: the random source (nonces, ephemeral keys). */
  random?: (n: number) => Uint8Array;
  /** The APDU log (redacted: headers, lengths, status words; never data): an array to fill, or a callback. */
  log?: ApduLogEntry[] | ((e: ApduLogEntry) => void);
}

/** What a read gives. */
export interface ChipRead {
  /** The `chipid.dump/1`, files byte-identical to the chip's. */
  dump: ChipDumpJSON;
  accessControl: 'pace' | 'bac';
  pace?: { mapping: 'GM' | 'IM' | 'CAM'; curve: string; cipher: SMCipher; password: 'can' | 'mrz' };
  chipAuthentication: 'passed' | 'failed' | 'not-supported' | 'skipped';
  activeAuthentication?: 'answered' | 'not-supported' | 'skipped';
  counters: ReadCounters;
  apduLog?: ApduLogEntry[];
}

/** The dump members that are elementary files, in the order a read visits them after EF.SOD. */
const DG_ORDER = [14, 1, 2, 13, 15] as const;
const DUMP_KEY_ORDER = ['com', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15', 'sod'] as const;

function cccdDocumentNumber(idNumber: string): string {
  if (!/^\d{12}$/.test(idNumber))
    throw new ReaderError('ERR_ACCESS_DENIED', 'reader: a CCCD id number has 12 digits');
  return idNumber.slice(3);
}

function checkDate(d: string, what: string): void {
  if (!/^\d{6}$/.test(d)) throw new ReaderError('ERR_ACCESS_DENIED', `reader: ${what} must be YYMMDD`);
}

/** The PACE password and the MRZ information (for BAC) a key gives. */
function passwords(key: ReadKey): { pace: PACEPassword | undefined; mrz: string | undefined } {
  if ('can' in key) {
    if (!/^\d{6}$/.test(key.can)) throw new ReaderError('ERR_ACCESS_DENIED', 'reader: a CAN has 6 digits');
    return { pace: { kind: 'can', can: key.can }, mrz: undefined };
  }
  const m = 'mrz' in key ? key.mrz : { ...key.cccd, documentNumber: cccdDocumentNumber(key.cccd.idNumber) };
  checkDate(m.dateOfBirth, 'date of birth');
  checkDate(m.dateOfExpiry, 'date of expiry');
  const doc = m.documentNumber.toUpperCase().replace(/[\s-]/g, '');
  if (!/^[0-9A-Z<]{1,9}$/.test(doc))
    throw new ReaderError('ERR_ACCESS_DENIED', 'reader: the document number must be 1–9 MRZ characters');
  const info = mrzInformation({
    documentNumber: doc,
    dateOfBirth: m.dateOfBirth,
    dateOfExpiry: m.dateOfExpiry,
  });
  if ('cccd' in key) return { pace: { kind: 'can', can: key.cccd.idNumber.slice(-6) }, mrz: info };
  return { pace: { kind: 'mrz', mrzInformation: info }, mrz: info };
}

const defaultRandom = (n: number): Uint8Array => randomBytes(n);

/**
 * Reads a chip: access control, every file, Chip and Active Authentication.
 *
 * @throws ReaderError — `ERR_ACCESS_DENIED` (wrong key: never retried), `ERR_TRANSPORT` (tag lost; carries
 *   `partial`), `ERR_SECURE_MESSAGING`, `ERR_PROTOCOL_UNSUPPORTED`, `ERR_FILE_NOT_FOUND`
 * @example
 * const { dump } = await readChip(transport, { key: { can: '123456' }, challenge });
 */
export async function readChip(transport: ChipTransport, options: ReadChipOptions): Promise<ChipRead> {
  const logArray = Array.isArray(options.log) ? options.log : undefined;
  const logFn =
    typeof options.log === 'function'
      ? options.log
      : logArray
        ? (e: ApduLogEntry) => logArray.push(e)
        : undefined;
  const ch = new PlainChannel(transport, { signal: options.signal, log: logFn });
  const random = options.random ?? defaultRandom;
  const progress = options.onProgress ?? (() => {});
  const pw = passwords(options.key);

  const files = new Map<string, Uint8Array>();
  let current: { file: string; progress: FileProgress } | undefined;
  let chipAuthentication: ChipRead['chipAuthentication'] = options.resume?.chipAuthentication ?? 'skipped';
  let shortOnly = false;
  if (options.resume) {
    if (options.resume.format !== 'chipid.partial/1')
      throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'reader: resume is not a chipid.partial/1');
    for (const [k, v] of Object.entries(options.resume.files)) files.set(k, fromBase64(v, 'standard'));
    const c = options.resume.current;
    if (c) current = { file: c.file, progress: { data: fromBase64(c.data, 'standard'), total: c.total } };
    shortOnly = options.resume.shortOnly === true;
  }

  const partial = (): PartialRead => ({
    format: 'chipid.partial/1',
    files: Object.fromEntries([...files].map(([k, v]) => [k, toBase64(v)])),
    ...(current && current.progress.data.length > 0
      ? {
          current: {
            file: current.file,
            data: toBase64(current.progress.data),
            ...(current.progress.total !== undefined ? { total: current.progress.total } : {}),
          },
        }
      : {}),
    chipAuthentication,
    ...(shortOnly ? { shortOnly } : {}),
  });

  let session: SecureChannel | undefined;
  let accessControl: 'pace' | 'bac' = 'bac';
  let paceUsed: { protocol: PACEProtocol; password: PACEPassword; cam?: PendingCAM } | undefined;
  let chunk: ChunkPolicy | undefined;

  try {
    // ── EF.CardAccess ──
    let cardAccess = files.get(EF.cardAccess.name);
    if (!cardAccess) {
      progress({ step: 'card-access' });
      const got = await readEF(ch, EF.cardAccess, initialChunk(ch, undefined, false), {
        progress: { data: new Uint8Array(0), total: undefined },
        cipher: undefined,
        beforeSelect: async () => {
          // SELECT MF; CCCDs answer 6D00 — then EF.CardAccess is selected by its id with P1=02 anyway.
          await ch.send({ cla: 0, ins: 0xa4, p1: 0x00, p2: 0x0c, data: Uint8Array.of(0x3f, 0x00) });
        },
      }).catch((e: unknown) => {
        if (e instanceof ReaderError && e.code === 'ERR_PROTOCOL_UNSUPPORTED') return undefined;
        throw e;
      });
      if (got) {
        cardAccess = got;
        files.set(EF.cardAccess.name, got);
      }
    }
    let infos: SecurityInfo[] = [];
    if (cardAccess) {
      try {
        infos = parseSecurityInfos(cardAccess);
      } catch {
        infos = [];
      }
    }

    // ── access control ──
    const establish = async (): Promise<SecureChannel> => {
      const offered = paceProtocols(infos);
      if (offered.length > 0 && pw.pace) {
        const protocol = offered[0]!;
        progress({ step: 'pace' });
        try {
          const r = await performPACE(ch, protocol, pw.pace, random);
          accessControl = 'pace';
          paceUsed = { protocol, password: pw.pace, ...(r.cam ? { cam: r.cam } : {}) };
          const sm = new SecureChannel(ch, r.keys, r.ssc);
          progress({ step: 'select-application' });
          const sel = await sm.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
          if (sel.sw !== SW.OK)
            throw new ReaderError(
              'ERR_PROTOCOL_UNSUPPORTED',
              `reader: SELECT eMRTD application answered ${swHex(sel.sw)}`,
              { sw: sel.sw },
            );
          return sm;
        } catch (e) {
          // A chip that will not run PACE may still run BAC (Doc 9303 Part 11 §4.2); a refused key is final.
          if (!(e instanceof ReaderError && e.code === 'ERR_PROTOCOL_UNSUPPORTED' && pw.mrz)) throw e;
        }
      }
      if (!pw.mrz)
        throw new ReaderError(
          'ERR_PROTOCOL_UNSUPPORTED',
          offered.length > 0
            ? 'reader: PACE failed and BAC needs the MRZ key'
            : 'reader: the chip offers no PACE; BAC needs the MRZ key, not the CAN',
        );
      progress({ step: 'bac' });
      const sel = await ch.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
      if (sel.sw !== SW.OK)
        throw new ReaderError(
          'ERR_PROTOCOL_UNSUPPORTED',
          `reader: SELECT eMRTD application answered ${swHex(sel.sw)}`,
          { sw: sel.sw },
        );
      const r = await performBAC(ch, pw.mrz, random);
      accessControl = 'bac';
      paceUsed = undefined;
      return new SecureChannel(ch, r.keys, r.ssc);
    };

    // Chip Authentication (or the PACE-CAM check) once DG14 is known.
    const authenticateChip = async (sm: SecureChannel): Promise<SecureChannel> => {
      const dg14 = files.get('dg14');
      if (!dg14) return sm;
      let dgInfos: SecurityInfo[];
      try {
        dgInfos = parseDG14(dg14).securityInfos;
      } catch {
        chipAuthentication = 'failed';
        return sm;
      }
      if (paceUsed?.cam) {
        const key = camStaticKey(dgInfos);
        chipAuthentication =
          key && verifyCAM(paceUsed.cam, key) ? 'passed' : key ? 'failed' : 'not-supported';
        return sm;
      }
      const offer = chipAuthOffer(dgInfos);
      if (!offer) {
        chipAuthentication = 'not-supported';
        return sm;
      }
      progress({ step: 'chip-authentication' });
      try {
        const r = await performChipAuthentication(sm, offer, random);
        chipAuthentication = 'passed'; // confirmed by the next protected answer, which must verify under the new keys
        return new SecureChannel(ch, r.keys, r.ssc);
      } catch (e) {
        if (e instanceof ReaderError && e.code === 'ERR_PROTOCOL_UNSUPPORTED') {
          chipAuthentication = 'failed';
          return sm;
        }
        throw e;
      }
    };

    session = await establish();
    if (files.has('dg14') && (chipAuthentication === 'passed' || paceUsed?.cam))
      session = await authenticateChip(session);
    chunk = initialChunk(ch, session.keys.cipher, !shortOnly);
    let reestablished = 0;

    const readOne = async (ef: EFRef): Promise<Uint8Array | undefined> => {
      const done = files.get(ef.name);
      if (done) return done;
      if (!current || current.file !== ef.name)
        current = { file: ef.name, progress: { data: new Uint8Array(0), total: undefined } };
      const cur = current;
      for (;;) {
        try {
          const got = await readEF(session!, ef, chunk!, {
            progress: cur.progress,
            cipher: session!.keys.cipher,
            onChunk: (bytesRead, bytesTotal) =>
              progress({
                step: 'read',
                file: ef.name,
                bytesRead,
                ...(bytesTotal !== undefined ? { bytesTotal } : {}),
              }),
          });
          current = undefined;
          if (got) files.set(ef.name, got);
          return got;
        } catch (e) {
          // 6987/6988: the chip ended the session. Re-establish (twice at most) and continue at the offset.
          if (
            e instanceof ReaderError &&
            (e.sw === SW.SM_DATA_MISSING || e.sw === SW.SM_DATA_INCORRECT) &&
            reestablished < 2
          ) {
            reestablished++;
            session = await establish();
            if (chipAuthentication === 'passed' || paceUsed?.cam) session = await authenticateChip(session);
            continue;
          }
          if (e instanceof ReaderError && e.code === 'ERR_TRANSPORT' && chunk!.extended) shortOnly = true;
          throw e;
        }
      }
    };

    const wanted = options.files ? new Set<string>(options.files) : undefined;
    const want = (name: string) => !wanted || wanted.has(name);
    if (want('com')) {
      progress({ step: 'read', file: 'com' });
      await readOne(EF.com);
    }
    progress({ step: 'read', file: 'sod' });
    const sodBytes = await readOne(EF.sod);
    if (!sodBytes)
      throw new ReaderError('ERR_FILE_NOT_FOUND', 'reader: the chip has no EF.SOD', {
        sw: SW.FILE_NOT_FOUND,
      });
    const listed = new Set(parseSOD(sodBytes).dataGroupHashes.keys());

    for (const n of DG_ORDER) {
      const name = `dg${n}`;
      if (!want(name) || (!wanted && !listed.has(n))) continue;
      progress({ step: 'read', file: name });
      const got = await readOne(dgRef(n));
      if (!got && listed.has(n))
        throw new ReaderError('ERR_FILE_NOT_FOUND', `reader: the chip has no ${name}, which its SOD lists`, {
          sw: SW.FILE_NOT_FOUND,
        });
      if (n === 14) {
        if (got) {
          if (chipAuthentication !== 'passed') session = await authenticateChip(session);
        } else chipAuthentication = 'not-supported';
      }
    }
    if (!files.has('dg14') && !listed.has(14)) chipAuthentication = 'not-supported';

    // ── Active Authentication ──
    let activeAuthentication: ChipRead['activeAuthentication'] = 'skipped';
    let aa: { challenge: string; signature: string } | undefined;
    if (options.challenge) {
      const dg15 = files.get('dg15');
      if (!dg15) activeAuthentication = 'not-supported';
      else {
        progress({ step: 'active-authentication' });
        let ne = 256;
        try {
          const k = parseDG15(dg15).key;
          ne = k.kind === 'rsa' ? Math.ceil(k.bits / 8) : 2 * k.curve.orderLength + 8;
        } catch {
          ne = 256;
        }
        const r = await session.send({
          cla: 0,
          ins: 0x88,
          p1: 0,
          p2: 0,
          data: options.challenge,
          ne: Math.min(ne, 65536),
        });
        if (r.sw === SW.OK && r.data.length > 0) {
          activeAuthentication = 'answered';
          aa = { challenge: toBase64(options.challenge), signature: toBase64(r.data) };
        } else activeAuthentication = 'not-supported';
      }
    }

    const dump: Record<string, unknown> = { format: DUMP_FORMAT };
    for (const k of DUMP_KEY_ORDER) {
      const v = files.get(k);
      if (v && want(k)) dump[k] = toBase64(v);
    }
    if (aa) dump.aa = aa;
    progress({ step: 'done' });
    return {
      dump: dump as ChipDumpJSON,
      accessControl,
      ...(paceUsed
        ? {
            pace: {
              mapping: paceUsed.protocol.mapping,
              curve:
                PACE_PARAMETER_NAMES[paceUsed.protocol.parameterId as keyof typeof PACE_PARAMETER_NAMES] ??
                String(paceUsed.protocol.parameterId),
              cipher: paceUsed.protocol.cipher,
              password: paceUsed.password.kind,
            },
          }
        : {}),
      chipAuthentication,
      activeAuthentication,
      counters: { ...ch.counters },
      ...(logArray ? { apduLog: logArray } : {}),
    };
  } catch (e) {
    if (e instanceof ReaderError) {
      if (files.size > 0 || current) e.partial = partial();
      throw e;
    }
    throw e;
  }
}
