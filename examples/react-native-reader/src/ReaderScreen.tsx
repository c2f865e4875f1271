/**
 * A minimal React Native screen: the user types the CAN (last 6 digits of the CCCD id number) — or
 * the id number and the birth/expiry dates — taps the card, sees the progress and a Vietnamese/English
 * "hold the card still" hint, taps again if the card slipped away (the read continues), and the read
 * goes to the bank's backend (examples/ekyc-onboarding) with the challenge it issued.
 */
import type { ReadKey, ReadProgress } from '@chipid/sdk/reader';
import { useState } from 'react';
import { Button, Platform, StyleSheet, Switch, Text, TextInput, View } from 'react-native';
import NfcManager from 'react-native-nfc-manager';
import { completeOnboarding, type OnboardingResult, startOnboarding } from './onboarding-api.ts';
import { HOLD_STILL, readCardWithRetaps, TAP_AGAIN } from './read-card.ts';

/** Where the bank's backend runs and who is signing up. */
export interface ReaderScreenProps {
  backendUrl: string;
  userId: string;
}

const PERCENT_STEPS: Record<string, number> = {
  'card-access': 2,
  pace: 5,
  bac: 5,
  'select-application': 8,
  'chip-authentication': 90,
  'active-authentication': 95,
  done: 100,
};

function percent(p: ReadProgress): number {
  if (p.step === 'read' && p.bytesTotal) return 10 + Math.round((75 * (p.bytesRead ?? 0)) / p.bytesTotal);
  return PERCENT_STEPS[p.step] ?? 10;
}

/** The screen. */
export function ReaderScreen({ backendUrl, userId }: ReaderScreenProps) {
  const [useCan, setUseCan] = useState(true);
  const [can, setCan] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [dateOfBirth, setDateOfBirth] = useState('');
  const [dateOfExpiry, setDateOfExpiry] = useState('');
  const [status, setStatus] = useState('');
  const [progress, setProgress] = useState<ReadProgress | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<OnboardingResult | undefined>();

  const key: ReadKey = useCan ? { can } : { cccd: { idNumber, dateOfBirth, dateOfExpiry } };
  const ready = useCan
    ? /^\d{6}$/.test(can)
    : /^\d{12}$/.test(idNumber) && /^\d{6}$/.test(dateOfBirth) && /^\d{6}$/.test(dateOfExpiry);

  async function onRead(): Promise<void> {
    setBusy(true);
    setResult(undefined);
    try {
      await NfcManager.start();
      const challenge = await startOnboarding(backendUrl, userId);
      setStatus(`${HOLD_STILL.vi}\n${HOLD_STILL.en}`);
      const { read } = await readCardWithRetaps({
        nfc: NfcManager,
        platform: Platform.OS === 'ios' ? 'ios' : 'android',
        key,
        challenge: challenge.challenge,
        onProgress: setProgress,
        onRetap: () => setStatus(`${TAP_AGAIN.vi}\n${TAP_AGAIN.en}`),
      });
      setStatus('Đang xác minh… / Verifying…');
      setResult(await completeOnboarding(backendUrl, userId, challenge.challengeId, read.dump));
      setStatus('');
    } catch (e) {
      // The reader's errors carry a hint for the user (ReaderError.hint); never the card's data.
      const hint = (e as { hint?: string }).hint;
      setStatus(hint ?? (e instanceof Error ? e.message : String(e)));
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  }

  return (
    <View style={styles.screen}>
      <View style={styles.row}>
        <Text>CAN</Text>
        <Switch value={!useCan} onValueChange={(v) => setUseCan(!v)} disabled={busy} />
        <Text>Số CCCD + ngày / ID number + dates</Text>
      </View>
      {useCan ? (
        <TextInput
          style={styles.input}
          placeholder="CAN (6 số cuối số CCCD / last 6 digits of the id number)"
          keyboardType="number-pad"
          maxLength={6}
          value={can}
          onChangeText={setCan}
          editable={!busy}
        />
      ) : (
        <>
          <TextInput
            style={styles.input}
            placeholder="Số CCCD (12 số) / ID number"
            keyboardType="number-pad"
            maxLength={12}
            value={idNumber}
            onChangeText={setIdNumber}
            editable={!busy}
          />
          <TextInput
            style={styles.input}
            placeholder="Ngày sinh YYMMDD / Date of birth"
            keyboardType="number-pad"
            maxLength={6}
            value={dateOfBirth}
            onChangeText={setDateOfBirth}
            editable={!busy}
          />
          <TextInput
            style={styles.input}
            placeholder="Ngày hết hạn YYMMDD / Date of expiry"
            keyboardType="number-pad"
            maxLength={6}
            value={dateOfExpiry}
            onChangeText={setDateOfExpiry}
            editable={!busy}
          />
        </>
      )}
      <Button title="Đọc thẻ / Read the card" onPress={onRead} disabled={!ready || busy} />
      {progress ? (
        <Text style={styles.progress}>
          {percent(progress)}% — {progress.step}
          {progress.file ? ` ${progress.file}` : ''}
        </Text>
      ) : null}
      {status ? <Text style={styles.hint}>{status}</Text> : null}
      {result?.status === 'verified' ? (
        <Text style={styles.ok}>
          Đã xác minh / Verified{result.name ? `: ${result.name}` : ''} ({result.txn})
        </Text>
      ) : null}
      {result && result.status !== 'verified' ? (
        <Text style={styles.bad}>
          {result.status === 'error'
            ? `HTTP ${result.httpStatus}`
            : `${result.status}: ${result.reasons.join(', ')}`}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, padding: 24, gap: 12, justifyContent: 'center' },
  row: { flexDirection: 'row', alignItems: 'center', gap: 8 },
  input: { borderWidth: 1, borderColor: '#999', borderRadius: 6, padding: 10 },
  progress: { fontVariant: ['tabular-nums'] },
  hint: { fontWeight: '600' },
  ok: { color: '#0a7d32', fontWeight: '600' },
  bad: { color: '#b00020', fontWeight: '600' },
});
