/** Output names → factories, and the validation of an aggregator's `outputs` list. */
import type { OutputFactory } from './output-state.js';
import { totalFactory } from './total.js';
import { CountSamplesState, CountSeriesState, SumSamplesState } from './counters.js';
import { LastState, MaxState, MinState } from './extremes.js';
import { AvgState, StdState } from './moments.js';
import { QuantilesState, parsePhis } from './quantiles.js';

const SIMPLE: Record<string, OutputFactory> = {
  total: totalFactory('total'),
  total_prometheus: totalFactory('total_prometheus'),
  increase: totalFactory('increase'),
  increase_prometheus: totalFactory('increase_prometheus'),
  count_samples: { name: 'count_samples', create: () => new CountSamplesState() },
  count_series: { name: 'count_series', create: () => new CountSeriesState() },
  sum_samples: { name: 'sum_samples', create: () => new SumSamplesState() },
  last: { name: 'last', create: () => new LastState() },
  min: { name: 'min', create: () => new MinState() },
  max: { name: 'max', create: () => new MaxState() },
  avg: { name: 'avg', create: () => new AvgState() },
  stddev: { name: 'stddev', create: () => new StdState('stddev') },
  stdvar: { name: 'stdvar', create: () => new StdState('stdvar') },
};

export const SUPPORTED_OUTPUTS: readonly string[] = [...Object.keys(SIMPLE), 'quantiles(φ…)'];

export function outputFactory(spec: string): OutputFactory {
  const name = spec.trim();
  const simple = SIMPLE[name];
  if (simple) return simple;
  if (name.startsWith('quantiles(')) {
    const phis = parsePhis(name);
    return { name, create: () => new QuantilesState(phis) };
  }
  throw new Error(`unsupported output "${spec}": use one of ${SUPPORTED_OUTPUTS.join(', ')}`);
}

/** Factories for a config's outputs; rejects an empty list and duplicates. */
export function outputFactories(specs: readonly string[]): OutputFactory[] {
  if (specs.length === 0) throw new Error(`outputs must not be empty: list at least one of ${SUPPORTED_OUTPUTS.join(', ')}`);
  const seen = new Set<string>();
  return specs.map((spec) => {
    const f = outputFactory(spec);
    const base = f.name.startsWith('quantiles(') ? 'quantiles' : f.name;
    if (seen.has(base)) throw new Error(`output "${spec}" is listed twice: keep one`);
    seen.add(base);
    return f;
  });
}
