/** Percentiles and heap readings the benchmarks share. */

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export function summary(values: number[], digits = 3) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50), digits),
    p99: round(percentile(sorted, 99), digits),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, digits),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length, digits),
  };
}

export function p50(values: number[]): number {
  return values.length === 0 ? Number.NaN : percentile([...values].sort((a, b) => a - b), 50);
}

/** The JS heap in use after full collections (run with --expose-gc). */
export function heapUsed(): number {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
