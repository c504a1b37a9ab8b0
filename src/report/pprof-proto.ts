/**
 * profile.proto in and out, through pprof-format (DataDog's encoder/decoder, made for exactly
 * this): PprofData -> gzipped .pb.gz, and any producer's .pb / .pb.gz (or the legacy CPU
 * format) -> PprofData.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { parseLegacyCpuProfile, isLegacyCpuProfile } from './pprof-legacy.js';
import { mergeSamples, ProfileFormatError, type PprofData, type PprofFrame, type PprofSample } from './pprof-model.js';

type Numeric = number | bigint;

/** int64 fields come back as unsigned bigints when they take more than 4 bytes: negative values included. */
function int64(n: Numeric): number {
  return typeof n === 'bigint' ? Number(BigInt.asIntN(64, n)) : n;
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * The most a gzipped input may inflate to (256 MB): a profile is rarely a tenth of that, and a
 * small file that inflates to gigabytes (a gzip bomb) is stopped here instead of filling memory.
 */
export const DEFAULT_MAX_INFLATED = 256 * 2 ** 20;

export interface DecodeOptions {
  /** Refuse gzipped input that inflates to more than this many bytes (default DEFAULT_MAX_INFLATED). */
  maxInflated?: number;
}

/** The bytes inside: gunzipped when gzipped, inflating at most `maxInflated` bytes (zlib stops there). */
export function inflateInput(input: Buffer, options: DecodeOptions = {}): Buffer {
  if (!isGzip(input)) return input;
  const max = options.maxInflated ?? DEFAULT_MAX_INFLATED;
  try {
    return gunzipSync(input, { maxOutputLength: max });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ProfileFormatError(`inflates to more than ${max} bytes (${Math.round(max / 2 ** 20)} MB), the limit for gzipped input; raise it with --max-inflated <size> if the file is real`);
    }
    throw new ProfileFormatError(`gzip data is corrupt (${(error as Error).message})`);
  }
}

/**
 * Reads a profile as `go tool pprof` does: gunzipped when gzipped, profile.proto or the legacy
 * CPU format, samples with the same stack and labels merged and all-zero ones dropped.
 */
export function decodePprof(input: Buffer, options: DecodeOptions = {}): PprofData {
  return decodeInflated(inflateInput(input, options));
}

/** A profile already gunzipped (by inflateInput). */
export function decodeInflated(buf: Buffer): PprofData {
  if (buf.length === 0) throw new ProfileFormatError('the file is empty');
  const data = isLegacyCpuProfile(buf) ? parseLegacyCpuProfile(buf) : decodeProto(buf);
  data.samples = mergeSamples(data.samples);
  return data;
}

function decodeProto(buf: Buffer): PprofData {
  let p: Profile;
  try {
    p = Profile.decode(buf);
  } catch (error) {
    throw new ProfileFormatError(`not a pprof profile (profile.proto did not decode: ${(error as Error).message})`);
  }
  const strings = p.stringTable.strings;
  const str = (i: Numeric): string => {
    const s = strings[Number(i)];
    if (s === undefined) throw new ProfileFormatError(`not a pprof profile (string index ${i} out of range)`);
    return s;
  };
  if (p.sampleType.length === 0 || strings[0] !== '') throw new ProfileFormatError('not a pprof profile (no sample types)');
  const sampleTypes = p.sampleType.map((t) => ({ type: str(t.type), unit: str(t.unit) }));
  const functions = new Map<string, { name: string; file: string }>();
  for (const f of p.function) functions.set(String(f.id), { name: str(f.name), file: str(f.filename) });
  const mappings = new Map<string, string>();
  for (const m of p.mapping) mappings.set(String(m.id), str(m.filename));
  const locations = new Map<string, PprofFrame[]>();
  for (const loc of p.location) {
    const objfile = mappings.get(String(loc.mappingId)) ?? '';
    const address = Number(loc.address) ? loc.address.toString(16) : undefined;
    const frames: PprofFrame[] =
      loc.line.length === 0
        ? [{ name: '', file: '', line: 0, column: 0, objfile, address }]
        : loc.line.map((l, i) => {
            const fn = functions.get(String(l.functionId));
            return { name: fn?.name ?? '', file: fn?.file ?? '', line: int64(l.line), column: int64(l.column), objfile, address, ...(i < loc.line.length - 1 ? { inlined: true } : {}) };
          });
    locations.set(String(loc.id), frames);
  }
  const samples: PprofSample[] = p.sample.map((s) => {
    if (s.value.length !== sampleTypes.length) throw new ProfileFormatError(`not a pprof profile (a sample has ${s.value.length} values for ${sampleTypes.length} sample types)`);
    const frames = s.locationId.flatMap((id) => {
      const loc = locations.get(String(id));
      if (!loc) throw new ProfileFormatError(`not a pprof profile (a sample refers to location ${id}, which is missing)`);
      return loc;
    });
    const labels: PprofSample['labels'] = {};
    const numLabels: PprofSample['numLabels'] = {};
    for (const l of s.label) {
      const key = str(l.key);
      if (Number(l.str) !== 0) (labels[key] ??= []).push(str(l.str));
      else (numLabels[key] ??= []).push({ value: int64(l.num), unit: str(l.numUnit) });
    }
    return { values: s.value.map(int64), frames, labels, numLabels };
  });
  const main = p.mapping[0];
  return {
    sampleTypes,
    defaultSampleType: Number(p.defaultSampleType) ? str(p.defaultSampleType) : undefined,
    samples,
    periodType: p.periodType ? { type: str(p.periodType.type), unit: str(p.periodType.unit) } : undefined,
    period: int64(p.period),
    timeNanos: int64(p.timeNanos),
    durationNanos: int64(p.durationNanos),
    comments: p.comment.map(str),
    mainFile: main ? str(main.filename) : '',
    buildId: main ? str(main.buildId) : '',
  };
}

/**
 * Encodes to profile.proto, gzipped (what `go tool pprof` and every pprof viewer read). Functions
 * and locations are deduplicated. system_name stays empty: pprof takes a name equal to it that
 * holds <…> or […] for demangled C++ and cuts those parts out (`<anonymous>`, `[kAsyncId]`).
 */
export function encodePprof(data: PprofData): Buffer {
  const st = new StringTable();
  const s = (text: string) => st.dedup(text);
  const mapping = new Mapping({ id: 1, filename: s(data.mainFile), buildId: s(data.buildId), hasFunctions: true, hasFilenames: true, hasLineNumbers: true });
  const functions = new Map<string, PFunction>();
  const locations = new Map<string, Location>();
  const fnFor = (f: PprofFrame) => {
    const key = `${f.name}\u0000${f.file}`;
    let fn = functions.get(key);
    if (!fn) functions.set(key, (fn = new PFunction({ id: functions.size + 1, name: s(f.name), filename: s(f.file) })));
    return fn;
  };
  const locFor = (f: PprofFrame) => {
    const key = `${f.name}\u0000${f.file}\u0000${f.line}\u0000${f.column}`;
    let loc = locations.get(key);
    if (!loc) {
      loc = new Location({ id: locations.size + 1, mappingId: 1, line: [new Line({ functionId: fnFor(f).id, line: f.line, column: f.column })] });
      locations.set(key, loc);
    }
    return loc;
  };
  const sample = data.samples.map(
    (smp) =>
      new Sample({
        locationId: smp.frames.map((f) => locFor(f).id),
        value: smp.values,
        label: [
          ...Object.entries(smp.labels).flatMap(([k, vs]) => vs.map((v) => new Label({ key: s(k), str: s(v) }))),
          ...Object.entries(smp.numLabels).flatMap(([k, ns]) => ns.map((n) => new Label({ key: s(k), num: n.value, numUnit: n.unit ? s(n.unit) : 0 }))),
        ],
      }),
  );
  const profile = new Profile({
    sampleType: data.sampleTypes.map((t) => new ValueType({ type: s(t.type), unit: s(t.unit) })),
    sample,
    mapping: [mapping],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: st,
    timeNanos: data.timeNanos,
    durationNanos: data.durationNanos,
    periodType: data.periodType ? new ValueType({ type: s(data.periodType.type), unit: s(data.periodType.unit) }) : undefined,
    period: data.period,
    comment: data.comments.map(s),
    defaultSampleType: data.defaultSampleType ? s(data.defaultSampleType) : 0,
  });
  return gzipSync(profile.encode());
}
