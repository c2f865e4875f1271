/**
 * One line of a registry import (JSONL, as `infra/seed/sandbox-registry.jsonl`): a citizen or a card.
 * Errors name the field and the rule, never the value (lines carry personal data).
 */
import { z } from 'zod';
import { type RegistryWrite, registryKey } from '../store/registry.ts';
import { issueMessage } from '../validation.ts';

const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be YYYY-MM-DD');
const partialDate = z
  .string()
  .regex(/^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/, 'must be YYYY, YYYY-MM or YYYY-MM-DD');
const idNumber = z.string().regex(/^\d{12}$/, 'must be 12 digits');
const documentNumber = z.string().regex(/^[A-Z0-9]{6,12}$/, 'must be 6–12 characters A-Z 0-9');

const CitizenLine = z
  .object({
    kind: z.literal('citizen'),
    idNumber,
    fullName: z.string().min(1).max(200),
    birthDate: partialDate,
    sex: z.enum(['M', 'F', 'X']),
    status: z.enum(['alive', 'deceased']),
    currentDocumentNumber: documentNumber.optional(),
  })
  .strict();

const CardLine = z
  .object({
    kind: z.literal('card'),
    documentNumber,
    idNumber,
    status: z.enum(['active', 'revoked', 'lost', 'replaced']),
    issuedOn: isoDate.optional(),
    expiresOn: isoDate.optional(),
  })
  .strict();

const Line = z.discriminatedUnion('kind', [CitizenLine, CardLine]);

export type LineResult = { ok: true; write: RegistryWrite } | { ok: false; code: string; detail: string };

/** Parses and validates one JSONL line into a keyed registry write. */
export async function parseRegistryLine(raw: string, secret: string): Promise<LineResult> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'ERR_MALFORMED_JSON', detail: 'line is not valid JSON' };
  }
  const r = Line.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    const where = i?.path.length ? i.path.join('.') : 'kind';
    return { ok: false, code: 'ERR_VALIDATION', detail: `${where}: ${i ? issueMessage(i) : 'invalid'}` };
  }
  const d = r.data;
  if (d.kind === 'citizen') {
    const record: Extract<RegistryWrite, { kind: 'citizen' }>['record'] = {
      fullName: d.fullName.normalize('NFC'),
      birthDate: d.birthDate,
      sex: d.sex,
      status: d.status,
    };
    if (d.currentDocumentNumber) record.currentCardKey = await registryKey(secret, d.currentDocumentNumber);
    return { ok: true, write: { kind: 'citizen', key: await registryKey(secret, d.idNumber), record } };
  }
  const record: Extract<RegistryWrite, { kind: 'card' }>['record'] = {
    citizenKey: await registryKey(secret, d.idNumber),
    status: d.status,
  };
  if (d.issuedOn) record.issuedOn = d.issuedOn;
  if (d.expiresOn) record.expiresOn = d.expiresOn;
  return { ok: true, write: { kind: 'card', key: await registryKey(secret, d.documentNumber), record } };
}
