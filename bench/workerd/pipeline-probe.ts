/**
 * The Worker's own app inside workerd with every DynamoDB call answered by the in-memory store (the
 * same set-up as the Node benchmark, `bench/lib/inprocess.ts`), for `bench/workerd.ts`: `prepare`
 * builds N distinct signed verification requests (each with its own one-time challenge and the
 * virtual chip's answer) and keeps them in the isolate; `run` sends them through the app back to
 * back. The caller times `run` from outside (workerd's clocks do not advance during computation).
 */
import { toBase64, toBase64Url } from '../../sdk/src/lib/bytes.ts';
import { makeCard, type ProfileName } from '../../sdk/src/sandbox/index.ts';
import { verificationBody } from '../lib/fixtures.ts';
import { type InProcessService, startInProcess } from '../lib/inprocess.ts';

let service: Promise<InProcessService> | undefined;
let bodies: string[] = [];

export default {
  async fetch(req: Request): Promise<Response> {
    const { mode, n, profile } = (await req.json()) as {
      mode: 'prepare' | 'run';
      n: number;
      profile: ProfileName;
    };
    service ??= startInProcess();
    const svc = await service;
    if (mode === 'prepare') {
      const card = await makeCard({ profile, seed: 'bench' });
      bodies = [];
      for (let i = 0; i < n; i++) {
        const id = `chl_${toBase64Url(crypto.getRandomValues(new Uint8Array(16)))}`;
        const challenge = crypto.getRandomValues(new Uint8Array(8));
        await svc.putChallenge(id, challenge);
        const signature = await card.chip!.internalAuthenticate(challenge);
        const chip = { ...card.dump, aa: { challenge: toBase64(challenge), signature: toBase64(signature) } };
        bodies.push(await verificationBody(svc.client, svc.env.SERVICE_URL, chip, id));
      }
      return Response.json({ prepared: bodies.length });
    }
    let verified = 0;
    for (const body of bodies.splice(0, n)) {
      const res = await svc.fetch('/v1/verifications', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (((await res.json()) as { result?: string }).result === 'verified') verified++;
    }
    return Response.json({ verified });
  },
};
