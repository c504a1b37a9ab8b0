/**
 * A pprof profile as leakprof holds it in memory: what the protobuf writer encodes, what the
 * readers (profile.proto from any producer, the legacy CPU format) decode into, and what the
 * top/traces printers and --base subtraction work on. Stacks are resolved to frames here, so
 * nothing downstream needs the proto's id tables.
 */

export interface PprofValueType {
  type: string;
  unit: string;
}

/** One frame of a stack: one line of a location (a location with inlined calls gives several). */
export interface PprofFrame {
  /** Function name; empty when the location was never symbolized (then `objfile` names it, as pprof does). */
  name: string;
  file: string;
  line: number;
  column: number;
  /** The mapping's file (binary or library), when the producer recorded one. */
  objfile: string;
  /** This frame was inlined into the next one (same location). */
  inlined?: boolean;
  /** The location's address (hex), when it has one: part of a stack's identity, as in pprof. */
  address?: string;
}

export interface PprofNumLabel {
  value: number;
  unit: string;
}

export interface PprofSample {
  /** One value per sample type. */
  values: number[];
  /** Leaf first, as profile.proto orders location ids. */
  frames: PprofFrame[];
  labels: Record<string, string[]>;
  numLabels: Record<string, PprofNumLabel[]>;
}

export interface PprofData {
  sampleTypes: PprofValueType[];
  /** The sample type a viewer shows by default (profile.proto's default_sample_type), else the last one. */
  defaultSampleType?: string;
  samples: PprofSample[];
  periodType?: PprofValueType;
  period: number;
  timeNanos: number;
  durationNanos: number;
  comments: string[];
  /** The main binary (or script): the first mapping's file and build id. */
  mainFile: string;
  buildId: string;
}

/** How pprof names a frame at function granularity: the function, else `[binary]`, else `<unknown>`. */
export function frameName(frame: PprofFrame): string {
  if (frame.name) return frame.name;
  if (frame.objfile) return `[${frame.objfile.split('/').pop()}]`;
  return '<unknown>';
}

/**
 * The key two samples share when pprof would merge them: same frames, same labels. pprof's own
 * rule, for profiles of any producer; a leakprof report's groups are ../transport/group-identity.ts's,
 * and each is one sample whose frames and labels keep it apart from the others.
 */
export function sampleKey(sample: PprofSample): string {
  const frames = sample.frames.map((f) => `${f.address ?? ''}\u0001${f.name}\u0001${f.file}\u0001${f.line}\u0001${f.column}\u0001${f.objfile}`).join('\u0002');
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}=${sample.labels[k]!.join(',')}`)
    .join('\u0002');
  const numLabels = Object.keys(sample.numLabels)
    .sort()
    .map((k) => `${k}=${sample.numLabels[k]!.map((n) => `${n.value}${n.unit}`).join(',')}`)
    .join('\u0002');
  return `${frames}\u0003${labels}\u0003${numLabels}`;
}

/**
 * Merges samples with the same stack and labels and drops the ones whose values are all zero,
 * as `go tool pprof` does on load (profile.Merge), so totals, -top and -traces agree with it.
 */
export function mergeSamples(samples: PprofSample[]): PprofSample[] {
  const byKey = new Map<string, PprofSample>();
  for (const sample of samples) {
    const key = sampleKey(sample);
    const seen = byKey.get(key);
    if (seen) seen.values = seen.values.map((v, i) => v + (sample.values[i] ?? 0));
    else byKey.set(key, { ...sample, values: [...sample.values] });
  }
  return [...byKey.values()].filter((s) => s.values.some((v) => v !== 0));
}

/** Thrown for input that is not a profile leakprof can read; the CLI prints its message as one line. */
export class ProfileFormatError extends Error {}
