/**
 * Extra certificates for attack and benchmark fixtures, made with the sandbox's own
 * `issueCertificate` (ICAO Doc 9303 Part 12 §7.1 profiles) so a test can mint what the sandbox
 * deliberately does not ship: a look-alike CSCA with the trusted CSCA's exact name, a Document Signer
 * of another country under the trusted CSCA, or many distinct Document Signers (cold-cache
 * benchmarks). Also re-signs a card's data groups under any Document Signer.
 */
import type { ChipDumpJSON } from '../../../sdk/src/icao/dump.ts';
import {
  type CertificateSpec,
  encodeSOD,
  type IssuedCertificate,
  issueCertificate,
  type NameAttribute,
} from '../../../sdk/src/sandbox/index.ts';
import { generateECKey, type SandboxKey } from '../../../sdk/src/sandbox/keys.ts';
import { createRandom } from '../../../sdk/src/sandbox/random.ts';

export { type CertificateSpec, issueCertificate };

/** A P-256 key from a seed string (deterministic). */
export function seededP256(seed: string): SandboxKey {
  return generateECKey('p256', createRandom(seed));
}

/** A Document Signer name of `country` (C=…, like the sandbox's). */
export function dsName(cn: string, country = 'VN'): NameAttribute[] {
  return [
    { type: 'C', value: country },
    { type: 'O', value: 'chipid sandbox' },
    { type: 'OU', value: 'Document Signer' },
    { type: 'CN', value: cn },
  ];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * The same data groups signed again under `ds` (a new SOD; `aa` dropped, since the caller answers a
 * challenge afresh if it wants one).
 *
 * @example
 * const dump = await resign(card.dump, foreignDs);
 */
export async function resign(
  dump: ChipDumpJSON,
  ds: IssuedCertificate,
  signingTime = new Date('2021-06-01'),
) {
  const dataGroups = new Map<number, Uint8Array>();
  for (const [n, k] of [
    [1, 'dg1'],
    [2, 'dg2'],
    [13, 'dg13'],
    [14, 'dg14'],
    [15, 'dg15'],
  ] as const) {
    const v = dump[k];
    if (v) dataGroups.set(n, unb64(v));
  }
  const { aa: _aa, ...rest } = dump;
  return { ...rest, sod: b64(await encodeSOD({ dataGroups, ds, signingTime })) } as ChipDumpJSON;
}
