/**
 * The `portrait` scope — the chip's face (DG2, Doc 9303 Part 10 §4.7.2) for the RP's face match,
 * delivered as JPEG beside the assertion; the assertion carries its SHA-256 as an OpenID Attachments
 * 1.0 digest in the document evidence, so the image is bound to the signed answer while the JWT stays
 * small.
 *
 * Only a `verified` chip whose DG2 was present and matched its SOD hash (passive authentication) gets
 * one. The image lives only in the answer: it is never written to the store (not in the idempotency
 * record, not in the audit, which keeps digests) and never logged.
 */
import { parseDG2 } from '@chipid/sdk/icao';
import { portraitJPEG } from '../image/portrait.ts';
import { b64, sha256 } from '../lib/crypto.ts';
import type { CheckOutcome } from '../store/verifications.ts';

/** A portrait for the answer, with the digest the assertion carries. */
export interface PortraitOut {
  mediaType: 'image/jpeg';
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, standard base64 (the attachment digest's `value`). */
  sha256: string;
}

/** The portrait (when one can be given) and the `portrait` check reported in the verification record. */
export interface PortraitResult {
  portrait?: PortraitOut;
  check: CheckOutcome;
}

/**
 * The face of a chip that passed passive authentication, as JPEG.
 *
 * @param dg2 the DG2 as read (absent when the chip dump has none)
 * @param checks the chip's checks: `dg2.hash` must have passed
 * @example
 * const { portrait } = await portraitOf(dump.dg2, report.checks);
 */
export async function portraitOf(
  dg2: Uint8Array | undefined,
  checks: readonly { name: string; ok: boolean }[],
): Promise<PortraitResult> {
  const fail = (detail: string): PortraitResult => ({ check: { name: 'portrait', ok: false, detail } });
  if (!dg2) return fail('not given: the chip dump has no DG2');
  if (!checks.some((c) => c.name === 'dg2.hash' && c.ok))
    return fail('not given: DG2 did not pass passive authentication');
  let face: ReturnType<typeof parseDG2>[number] | undefined;
  try {
    face = parseDG2(dg2)[0];
  } catch {
    face = undefined;
  }
  if (!face) return fail('not given: DG2 holds no readable face image');
  try {
    const p = await portraitJPEG(face);
    const detail = p.converted ? 'JPEG 2000 face converted to JPEG' : 'JPEG face';
    return {
      portrait: { mediaType: p.mediaType, bytes: p.bytes, sha256: b64(await sha256(p.bytes)) },
      check: { name: 'portrait', ok: true, detail },
    };
  } catch {
    return fail(`not given: the ${face.format === 'jp2' ? 'JPEG 2000' : 'JPEG'} face could not be converted`);
  }
}
