/**
 * A probe Worker that runs `@chipid/sdk` inside workerd: the same calls the Node tests make, so the
 * SDK is proven portable (Web Crypto + noble only, no Node APIs).
 */

import { OID } from '../../sdk/src/asn1/oid.ts';
import * as der from '../../sdk/src/asn1/writer.ts';
import { type NamedCurve, NOBLE } from '../../sdk/src/crypto/curves.ts';
import { digest } from '../../sdk/src/crypto/hash.ts';
import { parseSPKI } from '../../sdk/src/crypto/keys.ts';
import { verifySignature } from '../../sdk/src/crypto/signature.ts';
import { deriveBACKeys } from '../../sdk/src/icao/bac.ts';
import {
  type ChipDumpJSON,
  chipDigest,
  createTrustStore,
  describeDump,
  parseDG15,
  parseDump,
  verifyActiveAuth,
  verifyChip,
} from '../../sdk/src/index.ts';
import { fromBase64, toHex } from '../../sdk/src/lib/bytes.ts';

interface Probe {
  dump: ChipDumpJSON;
  csca: string;
  at: string;
  aa?: { dg15: string; challenge: string; signatures: string[] };
}

export default {
  async fetch(req: Request): Promise<Response> {
    const probe = (await req.json()) as Probe;
    const dump = parseDump(probe.dump);
    const trust = createTrustStore({ cscas: [fromBase64(probe.csca)] });
    const report = await verifyChip(dump, { trust, at: new Date(probe.at) });
    const aa: boolean[] = [];
    if (probe.aa) {
      const { key } = parseDG15(fromBase64(probe.aa.dg15));
      const challenge = fromBase64(probe.aa.challenge);
      for (const [i, sig] of probe.aa.signatures.entries()) {
        const r = await verifyActiveAuth({
          publicKey: key,
          challenge: challenge.subarray(i * 8, i * 8 + 8),
          signature: fromBase64(sig),
        });
        aa.push(r.ok);
      }
    }
    // Brainpool and explicit-parameter curves go through noble inside workerd too.
    const curves: Record<string, boolean> = {};
    for (const name of ['brainpoolP256r1', 'brainpoolP384r1', 'P-384'] as NamedCurve[]) {
      const impl = NOBLE[name];
      const sk = impl.utils.randomSecretKey();
      const spki = der.seq(
        der.seq(
          der.oid(OID.ecPublicKey),
          der.oid(
            name === 'P-384'
              ? OID.secp384r1
              : name === 'brainpoolP256r1'
                ? OID.brainpoolP256r1
                : OID.brainpoolP384r1,
          ),
        ),
        der.bitString(impl.getPublicKey(sk, false)),
      );
      const msg = new TextEncoder().encode('probe');
      const sig = impl.sign(await digest('SHA-256', msg), sk, { prehash: false, format: 'der' });
      curves[name] = await verifySignature(
        parseSPKI(spki),
        { kind: 'ecdsa', hash: 'SHA-256', format: 'der' },
        msg,
        sig,
      );
    }
    return Response.json({
      checks: report.checks.map((c) => `${c.name}:${c.code ?? 'ok'}`),
      signatureAlgorithm: report.signatureAlgorithm,
      describe: describeDump(dump).dg1,
      digest: await chipDigest(probe.dump),
      bac: toHex(deriveBACKeys('L898902C<369080619406236').kEnc),
      aa,
      curves,
    });
  },
};
