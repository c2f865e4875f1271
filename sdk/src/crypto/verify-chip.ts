/**
 * Whole-chip verification: passive authentication (Doc 9303 Part 11 §5.1) and, when the dump
 * carries a chip answer, Active Authentication (Part 11 §6.1) with the DG15 key the SOD vouches for.
 */
import { isChipIdError } from '../errors.ts';
import { verifyActiveAuth } from '../icao/active-auth.ts';
import { aaHashFromDG14, parseDG14 } from '../icao/dg14.ts';
import { parseDG15 } from '../icao/dg15.ts';
import type { ChipDump } from '../icao/dump.ts';
import { equalBytes } from '../lib/bytes.ts';
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
   * the chip has no DG15 (none in the dump, none in the SOD).
   */
  activeAuth: 'passed' | 'failed' | 'absent' | 'unsupported';
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
  const check: Check = { name: 'aa.signature', ok: false, code: 'aa_failed' };
  try {
    if (opts.expectedChallenge && !equalBytes(opts.expectedChallenge, dump.aa.challenge)) {
      check.code = 'challenge_invalid';
      check.detail = 'aa: the answer is for another challenge';
    } else {
      const { key } = parseDG15(dump.dg15);
      let hash: ReturnType<typeof aaHashFromDG14> | undefined;
      if (dump.dg14) {
        // Only an ActiveAuthenticationInfo names the AA hash; without one, the scheme's default
        // applies (RSA 9796-2 trailer BC: SHA-1; ECDSA: SHA-256).
        try {
          const dg14 = parseDG14(dump.dg14);
          if (dg14.activeAuthentication) hash = aaHashFromDG14(dg14);
        } catch {
          hash = undefined; // DG14's own hash check decides on its integrity
        }
      }
      const r = await verifyActiveAuth({
        publicKey: key,
        challenge: dump.aa.challenge,
        signature: dump.aa.signature,
        ...(hash ? { hash } : {}),
      });
      if (r.ok) {
        check.ok = true;
        delete check.code;
      } else check.detail = 'aa: signature does not verify with the DG15 key';
    }
  } catch (e) {
    check.detail = isChipIdError(e) ? e.message : 'aa: unusable DG15 key';
  }
  report.checks.push(check);
  report.activeAuth = check.ok ? 'passed' : 'failed';
  report.valid = passive.valid && check.ok;
  return report;
}
