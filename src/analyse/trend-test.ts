/**
 * A robust trend over an ordered series: Mann–Kendall's test (does it rise more often than
 * chance allows?) and Theil–Sen's slope (the median of the pairwise slopes, which a few
 * outliers cannot move). Both work on ranks and order only, so what they say depends on the
 * sequence of samples, never on how fast the machine produced them.
 */

export interface Trend {
  /** Samples in the series. */
  n: number;
  /** Mann–Kendall S: pairs that rise minus pairs that fall. */
  s: number;
  /** The one-sided p-value of "it rises" (normal approximation, ties corrected). */
  p: number;
  /** Theil–Sen slope per step of x. */
  slope: number;
}

/** Mann–Kendall and Theil–Sen of y over x (x defaults to the sample index). */
export function trendOf(y: readonly number[], x?: readonly number[]): Trend {
  const n = y.length;
  const at = (i: number): number => (x ? x[i]! : i);
  let s = 0;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = y[j]! - y[i]!;
      s += Math.sign(d);
      const dx = at(j) - at(i);
      if (dx > 0) slopes.push(d / dx);
    }
  }
  return { n, s, p: risingP(s, y), slope: median(slopes) };
}

/** One-sided p of S under "no trend": continuity-corrected normal, variance corrected for ties. */
function risingP(s: number, y: readonly number[]): number {
  const n = y.length;
  if (n < 3) return 1;
  const ties = new Map<number, number>();
  for (const v of y) ties.set(v, (ties.get(v) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0 || s <= 0) return 1;
  const z = (s - 1) / Math.sqrt(variance);
  return 1 - normalCdf(z);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Φ(z), from erf (Abramowitz–Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
