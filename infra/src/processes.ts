/** Child-process helpers shared by the DynamoDB Local launcher and the local stack (Node only). */
import type { ChildProcess } from 'node:child_process';

/** Signals a child's whole process group (it is spawned detached), falling back to the child. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Last `max` characters of a process's output, for error messages. */
export class Tail {
  private text = '';
  constructor(private readonly max = 4_000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  toString(): string {
    return this.text.trim();
  }
}
