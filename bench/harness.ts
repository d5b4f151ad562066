/** Shared helpers for the benchmarks in this folder. */
import { cpus as cpus_ } from "node:os";

export interface BenchRecord {
  /** What was measured, e.g. "bus.publish.1-subscriber". */
  case: string;
  [field: string]: unknown;
}

export interface BenchContext {
  emit(record: BenchRecord): void;
}

/** Node version, CPU model and core count, recorded beside each run's figures. */
export function machineInfo(): Record<string, unknown> {
  const cpus = cpus_();
  return { node: process.version, cpu: cpus[0]?.model ?? "unknown", cores: cpus.length };
}

/**
 * Times `fn(iterations)` `repeats` times after a warm-up and returns the best and median
 * nanoseconds per operation. The best run is the least disturbed by other load on a shared
 * machine; the median shows the spread.
 */
export function measure(
  fn: (iterations: number) => unknown,
  iterations: number,
  repeats = 7,
): { bestNsPerOp: number; medianNsPerOp: number; opsPerSec: number } {
  fn(Math.max(1, Math.floor(iterations / 10)));
  const samples: number[] = [];
  let sink: unknown;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    sink = fn(iterations);
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0) / iterations);
  }
  if (sink === Symbol.for("never")) console.log(sink);
  samples.sort((a, b) => a - b);
  const best = samples[0];
  const median = samples[Math.floor(samples.length / 2)];
  return { bestNsPerOp: round(best), medianNsPerOp: round(median), opsPerSec: Math.round(1e9 / best) };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
