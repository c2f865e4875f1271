/**
 * A scripted card for the worked examples: a list of expected command → canned response; every command
 * the reader sends is compared byte for byte with the script (test helper, not exported by the SDK).
 */
import { fromHex, toHex } from '../../lib/bytes.ts';
import type { ChipTransport } from '../transport.ts';

export interface ScriptStep {
  readonly command: string;
  readonly response: string;
}

export class ScriptedCard implements ChipTransport {
  readonly steps: ScriptStep[];
  next = 0;
  readonly mismatches: string[] = [];
  readonly extendedLength?: boolean;
  constructor(steps: ScriptStep[], options: { extendedLength?: boolean } = {}) {
    this.steps = steps;
    if (options.extendedLength !== undefined) this.extendedLength = options.extendedLength;
  }
  async transceive(command: Uint8Array): Promise<Uint8Array> {
    const step = this.steps[this.next++];
    const got = toHex(command).toUpperCase();
    if (!step) {
      this.mismatches.push(`unexpected APDU #${this.next}: ${got}`);
      throw new Error(`script: unexpected APDU ${got}`);
    }
    const want = step.command.replace(/\s+/g, '').toUpperCase();
    if (got !== want) {
      this.mismatches.push(`APDU #${this.next}: expected ${want}, got ${got}`);
      throw new Error(`script: APDU #${this.next} differs`);
    }
    return fromHex(step.response.replace(/\s+/g, ''));
  }
  get done(): boolean {
    return this.next === this.steps.length;
  }
}

/** A random source replaying fixed values (each draw must ask for exactly the next value's length). */
export function replayRandom(...values: string[]): (n: number) => Uint8Array {
  const queue = values.map((v) => fromHex(v.replace(/\s+/g, '')));
  return (n: number) => {
    const v = queue.shift();
    if (!v) throw new Error('replayRandom: no more values');
    if (v.length !== n) throw new Error(`replayRandom: asked ${n} bytes, next value has ${v.length}`);
    return v;
  };
}
