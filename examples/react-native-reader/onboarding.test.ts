/**
 * The phone's whole flow against the real backend: the example's API calls (src/onboarding-api.ts)
 * to the eKYC onboarding app (examples/ekyc-onboarding, in-process) backed by the real chipid service
 * (Worker in workerd + DynamoDB Local), the card read through the NFC adapter over a fake NfcManager
 * forwarding to the APDU virtual chip — the chip's Active Authentication answers the backend's
 * challenge, and the backend's verification says verified.
 */
import type { ChipIdClient } from '@chipid/sdk';
import { virtualCardFor } from '@chipid/sdk/sandbox';
import type { NfcTech } from 'react-native-nfc-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../ekyc-onboarding/app.ts';
import { memoryStore } from '../ekyc-onboarding/store.ts';
import { useSandboxService } from '../shared/sandbox-service.ts';
import type { NfcModule } from './src/nfc-transport.ts';
import { completeOnboarding, startOnboarding } from './src/onboarding-api.ts';
import { readCardWithRetaps } from './src/read-card.ts';

// biome-ignore lint/correctness/useHookAtTopLevel: a vitest fixture (beforeAll/afterAll), not a React hook
const svc = useSandboxService();
let client: ChipIdClient;

beforeAll(async () => {
  ({ client } = await svc.newClient());
});

describe('React Native reader → eKYC onboarding backend', () => {
  it('challenge, NFC read answering it (a re-tap on the way), verified', async () => {
    const app = createApp({ client, store: memoryStore() });
    const fetchFn = async (
      url: string,
      init: { method: string; headers: Record<string, string>; body: string },
    ) => app.request(url, init);
    const chip = await virtualCardFor('valid', 'rn-onboarding', { faults: { dropAfterApdus: 30 } });
    const nfc: NfcModule = {
      requestTechnology: async (tech: NfcTech | NfcTech[]) => {
        chip.powerOn();
        return (Array.isArray(tech) ? tech[0] : tech) ?? null;
      },
      cancelTechnologyRequest: async () => {},
      invalidateSessionWithErrorIOS: async () => {},
      setAlertMessageIOS: async () => {},
      setTimeout: async () => {},
      getMaxTransceiveLength: async () => 261,
      isoDepHandler: {
        transceive: async (bytes: number[]) => Array.from(await chip.transceive(Uint8Array.from(bytes))),
      },
    };

    const challenge = await startOnboarding('', 'phone-user-1', fetchFn);
    expect(challenge.challenge.length).toBe(8);
    const can = chip.sandboxCard?.citizen.idNumber.slice(-6) ?? '';
    const { read, taps } = await readCardWithRetaps({
      nfc,
      platform: 'android',
      key: { can },
      challenge: challenge.challenge,
    });
    expect(taps).toBe(2);
    const result = await completeOnboarding('', 'phone-user-1', challenge.challengeId, read.dump, fetchFn);
    expect(result).toMatchObject({ status: 'verified', ageOver18: true });
    if (result.status !== 'verified') return;
    expect(result.name).toBe(chip.sandboxCard?.citizen.fullName);
    expect((await client.getVerification(result.txn)).result).toBe('verified');

    // The same challenge cannot be used twice (the backend's replay guard).
    const again = await completeOnboarding('', 'phone-user-1', challenge.challengeId, read.dump, fetchFn);
    expect(again.status).not.toBe('verified');
  });
});
