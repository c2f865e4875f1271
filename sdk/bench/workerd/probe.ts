/**
 * Runs inside workerd for `npm run bench:icao`: N passive authentications, N whole-chip verifications
 * (`chip`: any outcome counts — the hostile-key inputs of issue 19 fail on purpose) or N raw DS signature
 * verifications per request, back to back, so the caller can time them from outside (workerd's
 * clocks do not advance during computation).
 */
import { derToPlain } from '../../src/crypto/signature.ts';
import { verifyChip } from '../../src/crypto/verify-chip.ts';
import { parseSOD } from '../../src/icao/sod.ts';
import { type ChipDumpJSON, createTrustStore, parseDump, verifyPassive } from '../../src/index.ts';
import { bigIntToBytes, fromBase64, own, toBase64Url } from '../../src/lib/bytes.ts';

interface Job {
  dump: ChipDumpJSON;
  csca: string;
  n: number;
  mode: 'passive' | 'raw' | 'chip';
}

export default {
  async fetch(req: Request): Promise<Response> {
    const job = (await req.json()) as Job;
    const dump = parseDump(job.dump);
    const trust = createTrustStore({ cscas: [fromBase64(job.csca)] });
    let ok = 0;
    if (job.mode === 'chip') {
      for (let i = 0; i < job.n; i++) if ((await verifyChip(dump, { trust })).checks.length > 0) ok++;
      return Response.json({ ok });
    }
    if (job.mode === 'passive') {
      for (let i = 0; i < job.n; i++) if ((await verifyPassive(dump, { trust })).valid) ok++;
      return Response.json({ ok });
    }
    const sod = parseSOD(dump.sod);
    const key = sod.documentSigner!.publicKey;
    const data = own(sod.signerInfo.signedAttributes!);
    let verify: () => Promise<boolean>;
    if (key.kind === 'rsa') {
      const ck = await crypto.subtle.importKey(
        'jwk',
        { kty: 'RSA', n: toBase64Url(bigIntToBytes(key.n)), e: toBase64Url(bigIntToBytes(key.e)) },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['verify'],
      );
      const sig = own(sod.signerInfo.signature);
      verify = () => crypto.subtle.verify('RSASSA-PKCS1-v1_5', ck, sig, data);
    } else {
      const ck = await crypto.subtle.importKey(
        'raw',
        own(key.point),
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['verify'],
      );
      const sig = own(derToPlain(sod.signerInfo.signature, key.curve.orderLength)!);
      verify = () => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ck, sig, data);
    }
    for (let i = 0; i < job.n; i++) if (await verify()) ok++;
    return Response.json({ ok });
  },
};
