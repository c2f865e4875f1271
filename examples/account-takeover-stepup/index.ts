/**
 * Starts the step-up backend on Node, reading the subjects the eKYC onboarding example stored.
 *
 *   npm start                                             # other terminal: the local chipid stack
 *   npx tsx examples/account-takeover-stepup/index.ts     # PORT=3001, STORE=<onboarding subjects.json>
 */
import { fileURLToPath } from 'node:url';
import { createClient } from '@chipid/sdk';
import { serve } from '@hono/node-server';
import { DEFAULT_STORE } from '../ekyc-onboarding/index.ts';
import { jsonFileStore } from '../ekyc-onboarding/store.ts';
import { loadConfig } from '../shared/config.ts';
import { createApp } from './app.ts';
import { NOT_A_BIOMETRIC_MATCHER } from './face-match.ts';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const storePath = process.env.STORE ?? DEFAULT_STORE;
  const store = jsonFileStore(storePath);
  const app = createApp({
    client: createClient(loadConfig()),
    lookup: async (userId) => (await store.get(userId))?.sub,
    // The stand-in compares bytes, NOT faces: plug your face-match vendor's adapter in here.
    matcher: NOT_A_BIOMETRIC_MATCHER,
    onDecision: (userId, trigger, d) =>
      // Outcome, trigger and references only: no personal data in logs.
      console.log(
        JSON.stringify({
          event: 'stepup',
          userId,
          trigger,
          outcome: d.outcome,
          txn: d.txn,
          reasons: d.reasons,
        }),
      ),
  });
  const port = Number(process.env.PORT ?? 3001);
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
    console.log(`step-up backend on http://127.0.0.1:${info.port} (subjects: ${storePath})`);
    console.log(
      '  POST /stepup/challenge { userId, trigger: "new_device" | "large_transfer", amountVnd?, dailyTotalVnd? }',
    );
    console.log('  POST /stepup/complete  { userId, challengeId, chip, selfie? }');
    console.warn(
      '  face match: the STAND-IN matcher (byte equality) is NOT a biometric matcher; use a vendor',
    );
  });
}
