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

/** How a series moved step by step: the sign test over its consecutive differences. */
export interface Steps {
  /** Steps up, and steps down (steps that did not move count as neither). */
  up: number;
  down: number;
  /** The median step (0 when most steps did not move). */
  median: number;
  /** The one-sided p of "it steps up more often than down" under a fair coin (the exact binomial tail). */
  p: number;
}

/**
 * The sign test over consecutive differences: a thing that grows a little in every step rises in
 * nearly all of them, whatever else the series does once. Mann–Kendall compares every pair, so one
 * level shift of more than the whole rise (a runner releasing memory of its own mid-series) turns
 * all the pairs across it into falls and hides a steady rise; this counts that shift as one step.
 */
export function stepsOf(y: readonly number[]): Steps {
  let up = 0;
  let down = 0;
  const diffs: number[] = [];
  for (let i = 1; i < y.length; i++) {
    const d = y[i]! - y[i - 1]!;
    diffs.push(d);
    if (d > 0) up++;
    else if (d < 0) down++;
  }
  return { up, down, median: median(diffs), p: binomialTail(up, up + down) };
}

/** P(X ≥ k) for X ~ Binomial(n, ½). */
function binomialTail(k: number, n: number): number {
  if (n === 0) return 1;
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i >= k) tail += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, tail);
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
