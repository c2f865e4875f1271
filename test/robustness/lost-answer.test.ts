/**
 * A commit whose answer is lost: the store applied the transaction but the Worker saw a timeout (the
 * soak load suite found this — an audited verification answered 503). `commitVerification` must then
 * confirm its own write instead of failing, and never write twice; and one still on its way when the
 * Worker gives up must be fenced off, so that no audit entry appears for a request answered 503. The store here is the in-memory
 * DynamoDB with one fault injected into `TransactWriteItems`; the equivalence suite
 * (`memory-store.test.ts`) shows it answers as DynamoDB Local does.
 */
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { MemoryDynamo, memoryStoreContext } from '../../functions/src/store/memory.ts';
import { jtiPut } from '../../functions/src/store/requests.ts';
import {
  commitVerification,
  getVerification,
  readAudit,
  verifyAuditChain,
} from '../../functions/src/store/verifications.ts';
import { auditFacts, verificationRecord } from './support/commits.ts';

/**
 * The next `TransactWriteItems` is answered with a timeout, and applied before that (`after-apply`),
 * never (`before-apply`) or only later, when the test calls {@link LosingAnswers.deliverLate}
 * (`in-flight`: still on its way while the Worker decides what to answer).
 */
class LosingAnswers extends MemoryDynamo {
  lose: 'after-apply' | 'before-apply' | 'in-flight' | undefined;
  private late: unknown;
  /** Applies the held `in-flight` transaction now; its answer (or error name). */
  async deliverLate(): Promise<string> {
    try {
      await super.send(this.late);
      return 'applied';
    } catch (e) {
      return (e as Error).name;
    }
  }
  override async send(command: unknown): Promise<unknown> {
    const fault = command instanceof TransactWriteItemsCommand ? this.lose : undefined;
    if (fault) this.lose = undefined;
    if (fault === 'in-flight') this.late = command;
    if (fault === 'before-apply' || fault === 'in-flight')
      throw Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
    const out = await super.send(command);
    if (fault === 'after-apply')
      throw Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
    return out;
  }
}

const ver = verificationRecord;
const facts = auditFacts;
const exp = Math.floor(Date.now() / 1000) + 300;

describe('a commit whose answer is lost', () => {
  it('is confirmed by reading its own record: ok, one audit entry, the replay guard written', async () => {
    const mem = new LosingAnswers();
    const s = memoryStoreContext(mem, 't-sandbox', 'sandbox');
    mem.lose = 'after-apply';
    const r = await commitVerification(s, ver('ver_lost1'), facts('ver_lost1'), [
      jtiPut(s, 'sandbox_a', 'j1', exp),
    ]);
    expect(r).toEqual({ ok: true, audit: undefined });
    const audit = await readAudit(s, 'sandbox_a');
    expect(audit.map((e) => e.verificationId)).toEqual(['ver_lost1']);
    expect(await verifyAuditChain(audit)).toBe(0); // 0: every link holds
    expect(mem.scan('t-sandbox').filter((it) => it.pk?.S === 'JTI#sandbox_a#j1')).toHaveLength(1);
    // The same commit again (what a client-side retry of the transaction amounts to): still one entry,
    // and it is not mistaken for a replay of the request.
    const again = await commitVerification(s, ver('ver_lost1'), facts('ver_lost1'), [
      jtiPut(s, 'sandbox_a', 'j1', exp),
    ]);
    expect(again).toEqual({ ok: true, audit: undefined });
    expect((await readAudit(s, 'sandbox_a')).length).toBe(1);
  });

  it('that never landed still fails as an outage (503), leaving nothing', async () => {
    const mem = new LosingAnswers();
    const s = memoryStoreContext(mem, 't-sandbox', 'sandbox');
    mem.lose = 'before-apply';
    await expect(commitVerification(s, ver('ver_lost2'), facts('ver_lost2'), [])).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    expect(await readAudit(s, 'sandbox_a')).toEqual([]);
  });

  it('still on its way when the Worker answers 503 can never land afterwards (fenced by a tombstone)', async () => {
    const mem = new LosingAnswers();
    const s = memoryStoreContext(mem, 't-sandbox', 'sandbox');
    mem.lose = 'in-flight';
    await expect(
      commitVerification(s, ver('ver_late'), facts('ver_late'), [jtiPut(s, 'sandbox_a', 'j3', exp)]),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    // The transaction arrives after the answer: its condition on the verification record fails.
    expect(await mem.deliverLate()).toBe('TransactionCanceledException');
    expect(await readAudit(s, 'sandbox_a')).toEqual([]);
    expect(await getVerification(s, 'ver_late')).toBeUndefined();
    expect(mem.scan('t-sandbox').filter((it) => it.pk?.S === 'JTI#sandbox_a#j3')).toHaveLength(0);
    // So the client's retry of the request (same jti, a new verification) goes through.
    const retry = await commitVerification(s, ver('ver_retry'), facts('ver_retry'), [
      jtiPut(s, 'sandbox_a', 'j3', exp),
    ]);
    expect(retry.ok).toBe(true);
    expect((await readAudit(s, 'sandbox_a')).map((e) => e.verificationId)).toEqual(['ver_retry']);
  });

  it('does not turn a real replay into success: another verification reusing the jti still conflicts', async () => {
    const mem = new LosingAnswers();
    const s = memoryStoreContext(mem, 't-sandbox', 'sandbox');
    expect(
      (await commitVerification(s, ver('ver_a'), facts('ver_a'), [jtiPut(s, 'sandbox_a', 'j2', exp)])).ok,
    ).toBe(true);
    const r = await commitVerification(s, ver('ver_b'), facts('ver_b'), [jtiPut(s, 'sandbox_a', 'j2', exp)]);
    expect(r).toEqual({ ok: false, conflicts: [0] });
  });
});
