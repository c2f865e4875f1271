/**
 * The registry boundary: check 4 runs on any {@link RegistrySource}. Here a second implementation —
 * an in-memory registry keyed the same way, as a live registry service's adapter would answer — is a
 * few lines, and the check's outcomes follow its answers (the DynamoDB copy is exercised end to end by
 * test/integration/profiles.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CardRecord, CitizenRecord, RegistrySource } from '../store/registry.ts';
import type { ChipFacts } from './facts.ts';
import { checkRegistry, registryKeys } from './registry-check.ts';

const SECRET = 'registry-source-test-secret';
const chip: ChipFacts = {
  documentNumber: '093047064',
  idNumber: '001093047064',
  fullName: 'Ứng Hoàng Hiệp',
  mrzName: 'UNG HOANG HIEP',
  mrzNameTruncated: false,
  familyName: 'Ứng',
  givenName: 'Hoàng Hiệp',
  birthDate: { year: 1993, month: 1, day: 5 },
  sex: 'M',
  nationality: 'VNM',
  issuingState: 'VNM',
  dateOfExpiry: '2033-01-05',
};

/** An in-memory registry: records by keyed hash, asked the way `RegistrySource` asks. */
function memoryRegistry(cards: Map<string, CardRecord>, citizens: Map<string, CitizenRecord>) {
  const asked: { documentNumber: string; idNumber?: string | undefined }[] = [];
  const source: RegistrySource = {
    async lookup(q, c) {
      asked.push({ documentNumber: c.documentNumber, idNumber: c.idNumber });
      const card = cards.get(q.card);
      if (!card) return {};
      const citizen = citizens.get(q.id ?? card.citizenKey);
      return citizen ? { card, citizen } : { card };
    },
  };
  return { source, asked };
}

describe('checkRegistry on a RegistrySource', async () => {
  const k = await registryKeys(SECRET, chip);
  const alive: CitizenRecord = {
    birthDate: '1993-01-05',
    fullName: 'Ứng Hoàng Hiệp',
    sex: 'M',
    status: 'alive',
  };
  const active: CardRecord = { citizenKey: k.id as string, status: 'active', expiresOn: '2033-01-05' };
  const at = new Date('2026-12-07T00:00:00Z');
  const run = (card?: CardRecord, citizen?: CitizenRecord) => {
    const r = memoryRegistry(
      new Map(card ? [[k.card, card]] : []),
      new Map(citizen ? [[k.id as string, citizen]] : []),
    );
    return { out: checkRegistry(r.source, k, chip, at), asked: r.asked };
  };

  it('passes a current card of a living citizen, asking with the chip numbers', async () => {
    const { out, asked } = run(active, alive);
    expect(await out).toMatchObject({ reasons: [], mismatched: [], birthdatePrecision: 'day' });
    expect(asked).toEqual([{ documentNumber: '093047064', idNumber: '001093047064' }]);
  });

  it.each([
    ['unknown card', undefined, alive, ['card_unknown']],
    ['revoked', { ...active, status: 'revoked' as const }, alive, ['card_revoked']],
    ['lost', { ...active, status: 'lost' as const }, alive, ['card_lost']],
    ['expired in the registry', { ...active, expiresOn: '2026-01-01' }, alive, ['card_expired']],
    ['deceased', active, { ...alive, status: 'deceased' as const }, ['citizen_deceased']],
    ['unknown citizen', active, undefined, ['citizen_unknown']],
    ['replaced (another current card)', active, { ...alive, currentCardKey: 'other' }, ['card_replaced']],
    ['name differs', active, { ...alive, fullName: 'Ứng Hoàng Hà' }, ['citizen_mismatch']],
  ] as const)('%s → %j', async (_name, card, citizen, reasons) => {
    expect((await run(card, citizen).out).reasons).toEqual(reasons);
  });

  it('a card held by another id number is a mismatch', async () => {
    const { out } = run({ ...active, citizenKey: 'someone-else' }, alive);
    expect(await out).toMatchObject({ reasons: ['citizen_mismatch'], mismatched: ['id_number'] });
  });
});
