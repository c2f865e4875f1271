/** Sandbox registry seed: the committed infra/seed/sandbox-registry.jsonl is exactly the generator's output. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readyCitizen } from './citizens.ts';
import { PROFILE_NAMES } from './profiles.ts';
import { registryRecords, sandboxRegistry, sandboxRegistryJSONL } from './registry.ts';

const SEED = new URL('../../../infra/seed/sandbox-registry.jsonl', import.meta.url);

describe('sandbox registry seed', () => {
  it('committed file equals the generator (regenerate: npx chipid sandbox registry > infra/seed/sandbox-registry.jsonl)', () => {
    expect(readFileSync(SEED, 'utf8')).toBe(sandboxRegistryJSONL());
  });

  it('has exactly the agreed record shapes, in key order', () => {
    const lines = sandboxRegistryJSONL().trimEnd().split('\n');
    expect(lines).toHaveLength(sandboxRegistry().length);
    for (const line of lines) {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (r.kind === 'citizen') {
        expect(Object.keys(r)).toEqual([
          'kind',
          'idNumber',
          'fullName',
          'birthDate',
          'sex',
          'status',
          'currentDocumentNumber',
        ]);
        expect(r.birthDate).toMatch(/^\d{4}(-\d{2}(-\d{2})?)?$/);
        expect(['alive', 'deceased']).toContain(r.status);
        expect(['M', 'F']).toContain(r.sex);
      } else {
        expect(Object.keys(r)).toEqual([
          'kind',
          'documentNumber',
          'idNumber',
          'status',
          'issuedOn',
          'expiresOn',
        ]);
        expect(['active', 'revoked', 'lost', 'replaced']).toContain(r.status);
      }
    }
    const docs = sandboxRegistry()
      .filter((r) => r.kind === 'card')
      .map((r) => r.documentNumber);
    expect(new Set(docs).size).toBe(docs.length);
    const citizens = sandboxRegistry().filter((r) => r.kind === 'citizen');
    expect(citizens).toHaveLength(PROFILE_NAMES.length);
  });

  it('encodes each profile’s registry state', () => {
    const recs = (p: (typeof PROFILE_NAMES)[number]) => registryRecords(p, readyCitizen(p));
    const card = (p: (typeof PROFILE_NAMES)[number]) => recs(p).find((r) => r.kind === 'card')!;
    const citizen = (p: (typeof PROFILE_NAMES)[number]) => recs(p).find((r) => r.kind === 'citizen')!;
    expect(card('valid').status).toBe('active');
    expect(card('revoked-card').status).toBe('revoked');
    expect(card('lost-card').status).toBe('lost');
    expect(citizen('deceased').status).toBe('deceased');
    expect(citizen('valid-legacy-record').birthDate).toBe('1970');
    expect(citizen('name-mismatch').fullName).not.toBe(readyCitizen('name-mismatch').citizen.fullName);
    expect(card('expired-card')).toMatchObject({ status: 'active', expiresOn: '2025-02-15' });
    const replaced = recs('replaced-card');
    const [c, old, current] = replaced;
    expect(old).toMatchObject({
      kind: 'card',
      status: 'replaced',
      documentNumber: readyCitizen('replaced-card').card.documentNumber,
    });
    expect(current).toMatchObject({ kind: 'card', status: 'active' });
    expect(c).toMatchObject({
      kind: 'citizen',
      currentDocumentNumber: current!.kind === 'card' ? current!.documentNumber : '',
    });
    expect(
      old!.kind === 'card' && current!.kind === 'card' && old!.documentNumber !== current!.documentNumber,
    ).toBe(true);
  });
});
