/** Small statistics helpers shared by the benchmark sections. */

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Nearest-rank percentile (p in 0..100) of the first `count` values of `values`, which this sorts in
 * place. Nearest-rank so that p99 is a latency that some delivery really had.
 */
export function percentileInPlace(values: Float64Array, count: number, p: number): number {
  if (count === 0) return Number.NaN;
  const view = values.subarray(0, count).sort();
  const rank = Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
  return view[rank - 1];
}

/** Rounds to `digits` decimals, keeping NaN/Infinity (JSON turns them into null). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
