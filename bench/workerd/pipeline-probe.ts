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
import {
  answered,
  benchCard,
  type EncodedBody,
  multipartVerificationBody,
  newChallengeBytes,
  verificationBody,
} from '../lib/fixtures.ts';
import { type FloorOp, floorOps, floorSample } from '../lib/floor.ts';
import { type InProcessService, startInProcess } from '../lib/inprocess.ts';

let service: Promise<InProcessService> | undefined;
let bodies: EncodedBody[] = [];
/** The last verified JSON body (decoded only when the floor is built from it, not in the timed runs). */
let lastJsonBody: EncodedBody | undefined;
let lastAssertion = '';
let ops: FloorOp[] = [];

export default {
  async fetch(req: Request): Promise<Response> {
    const { mode, n, profile, face, op, transport } = (await req.json()) as {
      mode: 'prepare' | 'run' | 'floor-ops' | 'floor' | 'sha256' | 'read';
      n: number;
      profile: ProfileName;
      /** DG2 size in bytes (the sandbox default when absent). */
      face?: number;
      op: number;
      /** The body kind (default JSON). */
      transport?: 'json' | 'multipart';
    };
    service ??= startInProcess();
    const svc = await service;
    if (mode === 'prepare') {
      const card = await benchCard(profile, face);
      bodies = [];
      for (let i = 0; i < n; i++) {
        const ch = newChallengeBytes();
        await svc.putChallenge(ch.id, ch.bytes);
        const chip = await answered(card, ch.bytes);
        bodies.push(
          transport === 'multipart'
            ? await multipartVerificationBody(svc.client, svc.env.SERVICE_URL, chip, ch.id)
            : {
                body: new TextEncoder().encode(
                  await verificationBody(svc.client, svc.env.SERVICE_URL, chip, ch.id),
                ),
                contentType: 'application/json',
              },
        );
      }
      return Response.json({ prepared: bodies.length });
    }
    if (mode === 'floor-ops') {
      // The crypto floor of the last verification run, with workerd's own Web Crypto (and noble).
      const lastBody = new TextDecoder().decode(lastJsonBody?.body);
      const built = await floorOps(floorSample(lastBody, svc.client.privateJwk as JsonWebKey, lastAssertion));
      ops = built.ops;
      return Response.json({
        hashedBytes: built.hashedBytes,
        ops: ops.map(({ name, impl, group }) => ({ name, impl, group })),
      });
    }
    if (mode === 'sha256' || mode === 'read') {
      // `face` bytes hashed with this runtime's Web Crypto (what a DG2 of that size costs to hash), or
      // read as a request body (what it costs to receive).
      const data = new Uint8Array(face ?? 0).fill(0xa5);
      for (let i = 0; i < n; i++) {
        if (mode === 'sha256') await crypto.subtle.digest('SHA-256', data);
        else await new Request('http://probe/', { method: 'POST', body: data }).arrayBuffer();
      }
      return Response.json({ ran: n });
    }
    if (mode === 'floor') {
      const run = ops[op]!.run;
      for (let i = 0; i < n; i++) await run();
      return Response.json({ ran: n });
    }
    let verified = 0;
    // Four in flight, as the Node benchmark runs them: an await that leaves the isolate idle (reading a
    // request body, a Blob) is then filled with another request's work, so the time is the isolate's work.
    const queue = bodies.splice(0, n);
    const one = async (encoded: EncodedBody) => {
      const { body, contentType } = encoded;
      const res = await svc.fetch('/v1/verifications', {
        method: 'POST',
        // As an HTTP client sends it: with its length (the Node benchmark does the same).
        headers: { 'content-type': contentType, 'content-length': String(body.length) },
        body,
      });
      const j = (await res.json()) as { result?: string; assertion?: string };
      if (j.result === 'verified') {
        verified++;
        if (contentType === 'application/json') lastJsonBody = encoded;
        lastAssertion = j.assertion ?? '';
      }
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let b = queue.shift(); b; b = queue.shift()) await one(b);
      }),
    );
    return Response.json({ verified });
  },
};
