/**
 * `quantiles(φ…)`: one series per φ with a `quantile="<φ>"` label. VictoriaMetrics feeds a sampling
 * histogram; here the interval's samples are kept and the quantile is exact, interpolated linearly
 * between closest ranks (φ=0 is the min, φ=1 the max).
 */
import type { OutputEmit, OutputState } from './output-state.js';

export function quantile(sorted: readonly number[], phi: number): number {
  if (sorted.length === 0) return NaN;
  const rank = phi * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export class QuantilesState implements OutputState {
  private values: number[] = [];
  constructor(private readonly phis: readonly number[]) {}
  push(_inputKey: string, value: number): void {
    this.values.push(value);
  }
  flush(emit: OutputEmit): void {
    if (this.values.length === 0) return;
    const sorted = this.values.sort((a, b) => a - b);
    this.values = [];
    for (const phi of this.phis) emit('quantiles', quantile(sorted, phi), { name: 'quantile', value: String(phi) });
  }
}

/** The φ list of `quantiles(0.5, 0.99)`; throws a message that says what to fix. */
export function parsePhis(spec: string): number[] {
  const m = /^quantiles\((.*)\)$/.exec(spec.trim());
  if (!m) throw new Error(`invalid output "${spec}": write quantiles as quantiles(0.5, 0.99)`);
  const parts = m[1]!.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts[0] === '') throw new Error(`invalid output "${spec}": give at least one φ, e.g. quantiles(0.5)`);
  return parts.map((p) => {
    const phi = Number(p);
    if (p === '' || !Number.isFinite(phi) || phi < 0 || phi > 1) {
      throw new Error(`invalid output "${spec}": φ "${p}" must be a number in [0..1]`);
    }
    return phi;
  });
}
