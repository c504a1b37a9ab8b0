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
  return { ...data, samples: mergeSamples([...data.samples, ...negated]) };
}
