/**
 * What the bank keeps after an eKYC onboarding: the pairwise subject (`sub`) and the verification
 * reference (`txn`) — nothing else. No name, birth date, document number or photo: the signed assertion
 * proved them at onboarding; `sub` lets a later step-up recognise the same person, `txn` lets an
 * auditor fetch the outcome from chipid (`GET /v1/verifications/:txn`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One onboarded customer. */
export interface SubjectRecord {
  /** Pairwise subject from the assertion: stable for this person at this bank only. */
  sub: string;
  /** chipid verification id (assertion `txn`), the audit reference. */
  txn: string;
  /** When the onboarding completed (ISO-8601). */
  onboardedAt: string;
}

/** Where onboarding results go, keyed by the bank's own user id. */
export interface SubjectStore {
  get(userId: string): Promise<SubjectRecord | undefined>;
  /** The user already onboarded with this `sub`, if any (one person, one account). */
  findBySub(sub: string): Promise<string | undefined>;
  put(userId: string, record: SubjectRecord): Promise<void>;
  /** Everything stored, for inspection (and the tests). */
  dump(): Promise<Record<string, SubjectRecord>>;
}

/**
 * An in-memory store.
 *
 * @example
 * const store = memoryStore(); await store.put('u1', { sub, txn, onboardedAt });
 */
export function memoryStore(initial: Record<string, SubjectRecord> = {}): SubjectStore {
  const data = new Map(Object.entries(initial));
  return {
    get: async (userId) => data.get(userId),
    findBySub: async (sub) => [...data].find(([, r]) => r.sub === sub)?.[0],
    put: async (userId, record) => {
      // Whatever a caller passes, only these three fields are kept.
      data.set(userId, { sub: record.sub, txn: record.txn, onboardedAt: record.onboardedAt });
    },
    dump: async () => Object.fromEntries(data),
  };
}

/**
 * A store persisted to a JSON file (written atomically on every change). Every read reads the file
 * again, so another process — the step-up example reading what onboarding wrote — sees new users
 * without a restart (a demo store: a bank's is a database).
 *
 * @example
 * const store = jsonFileStore('examples/ekyc-onboarding/data/subjects.json');
 */
export function jsonFileStore(path: string): SubjectStore {
  const load = (): Record<string, SubjectRecord> =>
    existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, SubjectRecord>) : {};
  const fresh = () => memoryStore(load());
  return {
    get: async (userId) => fresh().get(userId),
    findBySub: async (sub) => fresh().findBySub(sub),
    dump: async () => fresh().dump(),
    put: async (userId, record) => {
      const mem = fresh();
      await mem.put(userId, record);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(await mem.dump(), null, 2)}\n`);
      renameSync(tmp, path);
    },
  };
}
