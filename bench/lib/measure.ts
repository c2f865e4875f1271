/**
 * Measuring helpers — CPU time from `process.cpuUsage()` (user + system of the whole process, so Web
 * Crypto work on libuv's thread pool counts too) next to wall time. "Per core" rates divide by CPU
 * seconds: on a shared machine that is what one core delivers, independent of other load.
 */

/** Outcome of one timed batch. */
export interface Timing {
  n: number;
  wallMs: number;
  cpuMs: number;
  /** Operations per wall-clock second. */
  wallPerSec: number;
  /** Operations per CPU second (= per core). */
  perCoreSec: number;
  /** CPU milliseconds per operation. */
  cpuMsPerOp: number;
}

/**
 * Runs `tasks[i]()` for every i with `concurrency` in flight and times the whole batch.
 *
 * @example
 * const t = await timed(reqs.map((r) => () => app.fetch(r)), 4);
 */
export async function timed(tasks: (() => Promise<unknown>)[], concurrency = 4): Promise<Timing> {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      await tasks[i]!();
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const n = tasks.length;
  return {
    n,
    wallMs,
    cpuMs,
    wallPerSec: (n * 1000) / wallMs,
    perCoreSec: (n * 1000) / cpuMs,
    cpuMsPerOp: cpuMs / n,
  };
}

/**
 * Repeats `fn` `n` times (after `warm` untimed calls) in 3 rounds of n/3 and keeps the round with the
 * least CPU per operation: on a shared machine other processes only ever add time, so the best round
 * is the closest to the uncontended cost.
 */
export async function repeat(fn: () => Promise<unknown> | unknown, n: number, warm = 20, concurrency = 4) {
  for (let i = 0; i < warm; i++) await fn();
  const per = Math.max(1, Math.ceil(n / 3));
  let best: Timing | undefined;
  for (let r = 0; r < 3; r++) {
    const t = await timed(
      Array.from({ length: per }, () => async () => fn()),
      concurrency,
    );
    if (!best || t.cpuMsPerOp < best.cpuMsPerOp) best = t;
  }
  return best!;
}

/** Best (least CPU per operation) of timing consecutive slices of `tasks` in `rounds` rounds. */
export async function timedBest(
  tasks: (() => Promise<unknown>)[],
  concurrency = 4,
  rounds = 3,
): Promise<Timing> {
  const per = Math.ceil(tasks.length / rounds);
  let best: Timing | undefined;
  for (let r = 0; r < rounds; r++) {
    const slice = tasks.slice(r * per, (r + 1) * per);
    if (slice.length === 0) break;
    const t = await timed(slice, concurrency);
    if (!best || t.cpuMsPerOp < best.cpuMsPerOp) best = t;
  }
  return best!;
}

/** Percentile (nearest rank) of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounds for display (3 significant digits, integers kept). */
export function fmt(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 10 ** digits) return Math.round(x);
  return Number(x.toPrecision(digits));
}
