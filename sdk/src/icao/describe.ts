/**
 * A JSON-friendly description of a chip dump: every elementary file parsed (Doc 9303 Part 10),
 * no verification. Used by `chipid inspect` and the sandbox console.
 */
import { parseSPKI } from '../crypto/keys.ts';
import { schemeName, signatureScheme } from '../crypto/signature.ts';
import { isChipIdError } from '../errors.ts';
import { toBase64 } from '../lib/bytes.ts';
import { parseCOM } from './com.ts';
import { parseDG1 } from './dg1.ts';
import { parseDG2 } from './dg2.ts';
import { parseDG13 } from './dg13.ts';
import { parseDG14 } from './dg14.ts';
import { parseDG15 } from './dg15.ts';
import type { ChipDump } from './dump.ts';
import { parseSOD } from './sod.ts';

type Section = Record<string, unknown> | { error: { code: string; message: string } };

function section(fn: () => Record<string, unknown>): Section {
  try {
    return fn();
  } catch (e) {
    return {
      error: isChipIdError(e)
        ? { code: e.code, message: e.message }
        : { code: 'ERR_LDS_INVALID', message: 'malformed' },
    };
  }
}

export interface DescribeOptions {
  /** Include the DG2 face image(s) as base64 (for display). Default false. */
  images?: boolean;
}

type FileName = 'com' | 'sod' | 'dg1' | 'dg2' | 'dg13' | 'dg14' | 'dg15';

/** One describer per elementary file: the parsed contents, JSON-friendly. */
const DESCRIBE: Record<FileName, (bytes: Uint8Array, opts: DescribeOptions) => Record<string, unknown>> = {
  com: (bytes) => {
    const com = parseCOM(bytes);
    // Tags as written in Doc 9303 (`0x61` = DG1), not as decimals.
    return { ...com, tags: com.tags.map((t) => `0x${t.toString(16).padStart(2, '0')}`) };
  },
  dg1: (bytes) => {
    const { mrz } = parseDG1(bytes);
    return {
      format: mrz.format,
      documentCode: mrz.documentCode,
      issuingState: mrz.issuingState,
      documentNumber: mrz.documentNumber,
      dateOfBirth: mrz.dateOfBirth,
      dateOfExpiry: mrz.dateOfExpiry,
      sex: mrz.sex,
      nationality: mrz.nationality,
      surname: mrz.surname,
      givenNames: mrz.givenNames,
      optionalData: mrz.optionalData,
      ...(mrz.optionalData2 !== undefined ? { optionalData2: mrz.optionalData2 } : {}),
      checkDigitsValid: mrz.valid,
    };
  },
  dg2: (bytes, opts) => ({
    faces: parseDG2(bytes).map((f) => ({
      format: f.format,
      bytes: f.image.length,
      ...(f.width ? { width: f.width } : {}),
      ...(f.height ? { height: f.height } : {}),
      ...(opts.images ? { image: toBase64(f.image) } : {}),
    })),
  }),
  dg13: (bytes) => {
    const { fields, ...named } = parseDG13(bytes) as unknown as Record<string, unknown> & {
      fields?: unknown;
    };
    return { ...named, fields };
  },
  dg14: (bytes) => ({
    securityInfos: parseDG14(bytes).securityInfos.map((i) => {
      const { raw: _raw, ...rest } = i as typeof i & { raw?: unknown };
      return JSON.parse(
        JSON.stringify(rest, (_k, v) =>
          v instanceof Uint8Array ? toBase64(v) : typeof v === 'bigint' ? v.toString() : v,
        ),
      );
    }),
  }),
  dg15: (bytes) => {
    const { key } = parseDG15(bytes);
    return key.kind === 'rsa'
      ? { algorithm: 'RSA', bits: key.bits }
      : { algorithm: 'EC', curve: key.curve.name ?? 'explicit', bits: key.curve.byteLength * 8 };
  },
  sod: (bytes) => {
    const sod = parseSOD(bytes);
    const si = sod.signerInfo;
    let signatureAlgorithm: string;
    try {
      signatureAlgorithm = schemeName(signatureScheme(si.signatureAlgorithm, si.digestAlgorithm));
    } catch {
      signatureAlgorithm = si.signatureAlgorithm.oid;
    }
    const ds = sod.documentSigner;
    return {
      hashAlgorithm: sod.hashAlgorithm,
      signatureAlgorithm,
      dataGroups: [...sod.dataGroupHashes.keys()].sort((a, b) => a - b),
      ...(sod.ldsVersion ? { ldsVersion: sod.ldsVersion } : {}),
      ...(si.signingTime ? { signingTime: si.signingTime.toISOString() } : {}),
      ...(ds
        ? {
            documentSigner: {
              subject: ds.subject.text,
              issuer: ds.issuer.text,
              serialNumber: ds.serialHex,
              notBefore: ds.notBefore.toISOString(),
              notAfter: ds.notAfter.toISOString(),
              publicKey: describeKey(ds.spki),
            },
          }
        : {}),
    };
  },
};

/**
 * Describes one raw elementary file (what a desk reader or JMRTD writes: `sod.bin`, `dg1.bin`), or
 * `{ error }` when it does not parse.
 *
 * @example
 * describeFile('sod', sodBytes).dataGroups; // [1, 2, 13, 14, 15]
 */
export function describeFile(name: FileName, bytes: Uint8Array, opts: DescribeOptions = {}): Section {
  return section(() => DESCRIBE[name](bytes, opts));
}

/**
 * Describes every file of a dump. Files that fail to parse get `{ error: { code, message } }`.
 *
 * @example
 * const info = describeDump(parseDump(json));
 * info.dg1.documentNumber;
 */
export function describeDump(dump: ChipDump, opts: DescribeOptions = {}): Record<string, Section> {
  const out: Record<string, Section> = {};
  for (const name of ['com', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15', 'sod'] as const) {
    const bytes = dump[name];
    if (bytes) out[name] = describeFile(name, bytes, opts);
  }
  return out;
}

function describeKey(spki: Uint8Array): string {
  const k = parseSPKI(spki);
  return k.kind === 'rsa' ? `RSA-${k.bits}` : `EC ${k.curve.name ?? 'explicit'}`;
}
