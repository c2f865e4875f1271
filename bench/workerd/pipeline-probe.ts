/**
 * The Worker's own app inside workerd with every DynamoDB call answered by the in-memory store (the
 * same set-up as the Node benchmark, `bench/lib/inprocess.ts`), for `bench/workerd.ts`: `prepare`
 * builds N distinct signed verification requests (each with its own one-time challenge and the
 * virtual chip's answer) and keeps them in the isolate; `run` sends them through the app back to
 * back; `floor-ops` builds the crypto floor's operations from the last verified request and `floor`
 * runs one of them N times. The caller times `run` and `floor` from outside (workerd's clocks do not
 * advance during computation).
 */
import type { ProfileName } from '../../sdk/src/sandbox/index.ts';
import { answered, benchCard, newChallengeBytes, verificationBody } from '../lib/fixtures.ts';
import { type FloorOp, floorOps, floorSample } from '../lib/floor.ts';
import { type InProcessService, startInProcess } from '../lib/inprocess.ts';

let service: Promise<InProcessService> | undefined;
let bodies: string[] = [];
let lastBody = '';
let lastAssertion = '';
let ops: FloorOp[] = [];

export default {
  async fetch(req: Request): Promise<Response> {
    const { mode, n, profile, face, op } = (await req.json()) as {
      mode: 'prepare' | 'run' | 'floor-ops' | 'floor';
      n: number;
      profile: ProfileName;
      /** DG2 size in bytes (the sandbox default when absent). */
      face?: number;
      op: number;
    };
    service ??= startInProcess();
    const svc = await service;
    if (mode === 'prepare') {
      const card = await benchCard(profile, face);
      bodies = [];
      for (let i = 0; i < n; i++) {
        const ch = newChallengeBytes();
        await svc.putChallenge(ch.id, ch.bytes);
        bodies.push(
          await verificationBody(svc.client, svc.env.SERVICE_URL, await answered(card, ch.bytes), ch.id),
        );
      }
      return Response.json({ prepared: bodies.length });
    }
    if (mode === 'floor-ops') {
      // The crypto floor of the last verification run, with workerd's own Web Crypto (and noble).
      const built = await floorOps(floorSample(lastBody, svc.client.privateJwk as JsonWebKey, lastAssertion));
      ops = built.ops;
      return Response.json({
        hashedBytes: built.hashedBytes,
        ops: ops.map(({ name, impl, group }) => ({ name, impl, group })),
      });
    }
    if (mode === 'floor') {
      const run = ops[op]!.run;
      for (let i = 0; i < n; i++) await run();
      return Response.json({ ran: n });
    }
    let verified = 0;
    for (const body of bodies.splice(0, n)) {
      const res = await svc.fetch('/v1/verifications', {
        method: 'POST',
        // As an HTTP client sends it: with its length (the Node benchmark does the same).
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, // ASCII JSON
        body,
      });
      const j = (await res.json()) as { result?: string; assertion?: string };
      if (j.result === 'verified') {
        verified++;
        lastBody = body;
        lastAssertion = j.assertion ?? '';
      }
    }
    return Response.json({ verified });
  },
};
