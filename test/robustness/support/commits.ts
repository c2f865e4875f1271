/**
 * Fixtures for store-level commit tests: a verification record and its audit facts for an id, of
 * client `sandbox_a`, with fixed times (so two stores given the same calls hold the same items).
 */
export function verificationRecord(id: string) {
  return {
    id,
    clientId: 'sandbox_a',
    result: 'verified' as const,
    reasons: [],
    checks: [{ name: 'x', ok: true }],
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

/** The audit facts `commitVerification` chains for verification `id`. */
export function auditFacts(id: string) {
  return {
    verificationId: id,
    time: '2026-01-01T00:00:00.000Z',
    result: 'verified',
    reasons: [],
    chipDigest: 'd',
    requestDigest: 'r',
    assertionDigest: 'a',
  };
}
