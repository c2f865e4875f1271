/**
 * Whole-chip verification: passive authentication (Doc 9303 Part 11 §5.1) and, when the dump
 * carries a chip answer, Active Authentication (Part 11 §6.1) with the DG15 key the SOD vouches for —
 * run only once passive authentication has authenticated that key (a DG15 nothing vouches for is
 * never used: its key could be any size, and its verdict would prove nothing).
 */
import { isChipIdError } from '../errors.ts';
import { verifyActiveAuth } from '../icao/active-auth.ts';
import { aaHashFromDG14, parseDG14 } from '../icao/dg14.ts';
import { parseDG15 } from '../icao/dg15.ts';
import type { ChipDump } from '../icao/dump.ts';
import { equalBytes } from '../lib/bytes.ts';
import type { ReasonCode } from '../reasons.ts';
import { KEY_LIMITS } from './keys.ts';
import {
  type Check,
  type PassiveAuthOptions,
  type PassiveAuthReport,
  verifyPassive,
} from './passive-auth.ts';

export interface ChipReport extends PassiveAuthReport {
  /**
   * Active Authentication outcome: `passed`/`failed` when the dump carries an answer, `absent` when
   * the chip has DG15 (in the dump or listed in its SOD) but no answer was checked, `unsupported` when
   * the chip has no DG15 (none in the dump, none in the SOD), `skipped` when the dump carries an
   * answer but passive authentication failed, so the DG15 key is not authenticated and AA was not run
   * (its `aa.signature` check says so, with `skipped: true`). `failed` includes a DG15 key the SDK
   * refuses (`algorithm_unsupported`) or one too weak to prove anything (`aa_key_weak`: RSA under
   * 1024 bits).
   */
  activeAuth: 'passed' | 'failed' | 'absent' | 'unsupported' | 'skipped';
}

export interface ChipVerifyOptions extends PassiveAuthOptions {
  /** The challenge the verifier issued; the dump's `aa.challenge` must equal it. */
  expectedChallenge?: Uint8Array;
}

/**
 * Passive + active authentication of a chip dump. Never throws on bad chip data.
 *
 * `valid` covers passive authentication and, when an AA answer is present, its verification.
 *
 * @example
 * const report = await verifyChip(parseDump(json), { trust, expectedChallenge });
 * report.activeAuth; // 'passed'
 */
export async function verifyChip(dump: ChipDump, opts: ChipVerifyOptions): Promise<ChipReport> {
  const passive = await verifyPassive(dump, opts);
  // The SOD lists every data group on the chip (Doc 9303 Part 10 §4.6.2; Part 11 §6.1: DG15 present ⇒ AA
  // supported). A DG15 it lists but the dump lacks was left out: a copy of a chip's data minus DG15 must
  // not pass for a chip without Active Authentication.
  const hasAA = dump.dg15 !== undefined || passive.sod?.dataGroupHashes.has(15) === true;
  const report: ChipReport = { ...passive, activeAuth: hasAA ? 'absent' : 'unsupported' };
  if (!dump.dg15 || !dump.aa) return report;
  // The DG15 key is authenticated when every passive check passed — an unknown revocation status
  // (`crl_unavailable`) aside: that is no doubt about the data, only about the Document Signer's
  // standing, and the verdict keeps it. Otherwise AA is not run at all.
  if (!passive.checks.every((c) => c.ok || c.code === 'crl_unavailable')) {
    report.checks.push({
      name: 'aa.signature',
      ok: false,
      skipped: true,
      detail: 'not run: passive authentication failed, so the DG15 key is not authenticated',
    });
    report.activeAuth = 'skipped';
    return report;
  }
  const check = await activeAuthCheck(dump.dg15, dump.aa, dump.dg14, opts.expectedChallenge);
  report.checks.push(check);
  report.activeAuth = check.ok ? 'passed' : 'failed';
  report.valid = passive.valid && check.ok;
  return report;
}

/** The `aa.signature` check of an authenticated DG15 key against the chip's answer. */
async function activeAuthCheck(
  dg15: Uint8Array,
  aa: NonNullable<ChipDump['aa']>,
  dg14: Uint8Array | undefined,
  expectedChallenge: Uint8Array | undefined,
): Promise<Check> {
  const failed = (code: ReasonCode, detail: string): Check => ({
    name: 'aa.signature',
    ok: false,
    code,
    detail,
  });
  if (expectedChallenge && !equalBytes(expectedChallenge, aa.challenge))
    return failed('challenge_invalid', 'aa: the answer is for another challenge');
  try {
    const { key } = parseDG15(dg15);
    // A key this short can be factored: an answer made with it is no evidence of the original chip.
    if (key.kind === 'rsa' && key.bits < KEY_LIMITS.rsaMinBitsAA)
      return failed(
        'aa_key_weak',
        `aa: a ${key.bits}-bit RSA key is under the ${KEY_LIMITS.rsaMinBitsAA}-bit minimum`,
      );
    let hash: ReturnType<typeof aaHashFromDG14> | undefined;
    if (dg14) {
      // Only an ActiveAuthenticationInfo names the AA hash; without one, the scheme's default
      // applies (RSA 9796-2 trailer BC: SHA-1; ECDSA: SHA-256).
      try {
        const info = parseDG14(dg14);
        if (info.activeAuthentication) hash = aaHashFromDG14(info);
      } catch {
        hash = undefined; // DG14's own hash check decides on its integrity
      }
    }
    const r = await verifyActiveAuth({
      publicKey: key,
      challenge: aa.challenge,
      signature: aa.signature,
      ...(hash ? { hash } : {}),
    });
    return r.ok
      ? { name: 'aa.signature', ok: true }
      : failed('aa_failed', 'aa: signature does not verify with the DG15 key');
  } catch (e) {
    // A DG15 key the SDK refuses (RSA over 4096 bits, unknown explicit curve…): refused while parsing.
    if (isChipIdError(e) && e.code === 'ERR_ALG_UNSUPPORTED')
      return failed('algorithm_unsupported', e.message);
    return failed('aa_failed', isChipIdError(e) ? e.message : 'aa: unusable DG15 key');
  }
}
