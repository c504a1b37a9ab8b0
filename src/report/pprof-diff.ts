/**
 * `--base` for pprof profiles, as Go's `go tool pprof -base`: the base's samples are added with
 * their values negated, so equal stacks cancel, new ones stay positive and gone ones go negative.
 */
import { mergeSamples, ProfileFormatError, type PprofData } from './pprof-model.js';

export function subtractBase(data: PprofData, base: PprofData): PprofData {
  const types = (d: PprofData) => d.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
  if (types(data) !== types(base)) {
    throw new ProfileFormatError(`--base: the profiles measure different things (${types(data)} vs base ${types(base)})`);
  }
  const negated = base.samples.map((s) => ({ ...s, values: s.values.map((v) => -v) }));
  // Headers combine as pprof's merge does: all comments once, durations added, the earliest time.
  const times = [data.timeNanos, base.timeNanos].filter((t) => t !== 0);
  return {
    ...data,
    samples: mergeSamples([...data.samples, ...negated]),
    comments: [...new Set([...data.comments, ...base.comments])],
    durationNanos: data.durationNanos + base.durationNanos,
    timeNanos: times.length > 0 ? Math.min(...times) : 0,
  };
}
