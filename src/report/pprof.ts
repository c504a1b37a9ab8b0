/**
 * The pprof writer: one profile.proto per (process, profile) of a leakprof report, gzipped, for
 * `go tool pprof` and every viewer that reads pprof. Each group is a sample: its count (and, in
 * the heap profile, its bytes) over its whole creation stack, leaf first, with its type, state,
 * label and test as labels.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodePprof } from './pprof-proto.js';
import type { PprofData, PprofFrame, PprofSample } from './pprof-model.js';
import type { FrameReport, GroupReport, ProcessReport, ProfileDescriptor, ProfileReport, Report, Verdict } from './schema.js';

export interface ReportProfile {
  pid: number;
  /** A worker thread's profile (its section of the report): files are named `<pid>.t<thread>.<profile>`. */
  thread?: number;
  profile: string;
  data: PprofData;
}

function frameOf(f: FrameReport): PprofFrame {
  // pprof merges by function name: an anonymous function gets its place in the name, so two stay two.
  const name = f.function && f.function !== '<anonymous>' ? f.function : `<anonymous> ${basename(f.file)}:${f.line}`;
  return { name, file: f.file, line: f.line, column: f.column, objfile: '' };
}

function sampleOf(group: GroupReport, descriptor: ProfileDescriptor): PprofSample {
  const frames: PprofFrame[] =
    group.frames && group.frames.length > 0
      ? group.frames.map(frameOf)
      : // No stack was captured: one made-up frame, so the group still counts in every total.
        [{ name: `${group.label} (no stack)`, file: '', line: 0, column: 0, objfile: '' }];
  // Go's goroutine profile puts the creator at the root: a stack of Node's own frames only is rooted at the user's line that made it.
  if (group.createdBy && group.createdBy.frames.length > 0) frames.push(...group.createdBy.frames.map(frameOf));
  const labels: PprofSample['labels'] = { type: [group.type], state: [group.state], label: [group.label], keeps_alive: [group.keepsAlive ? 'yes' : 'no'] };
  if (group.test) labels.test = [group.test];
  if (group.estimated) labels.estimated = ['yes'];
  for (const [key, value] of Object.entries(group.labels ?? {})) labels[key] ??= [value];
  return {
    values: descriptor.sampleTypes.map((t) => (t.of === 'bytes' ? (group.bytes ?? 0) : group.count)),
    frames,
    labels,
    // No age label: it differs between two looks at the same things, so `-base` (Go's and ours) could never cancel them.
    numLabels: {},
  };
}

export interface PprofOptions {
  /** The heap profile's sampling interval in bytes (its pprof period), when known. */
  heapPeriod?: number;
}

/** The pprof profile of one profile of one process. */
export function profileToPprof(report: Report, proc: ProcessReport, profile: ProfileReport, options: PprofOptions = {}): PprofData {
  const d = profile.descriptor;
  const main = d.sampleTypes.find((t) => t.type === d.defaultSampleType) ?? d.sampleTypes[0] ?? { type: profile.name, unit: 'count' };
  // A profile of sampled bytes (the heap profile) has the sampling interval as its period, as Go's heap profile does.
  const sampledBytes = d.sampleTypes.some((t) => t.of === 'bytes');
  const snapshotMs = Date.parse(proc.snapshot.time);
  return {
    sampleTypes: d.sampleTypes.map(({ type, unit }) => ({ type, unit })),
    defaultSampleType: main.type,
    samples: profile.groups.map((g) => sampleOf(g, d)),
    periodType: sampledBytes ? { type: 'space', unit: 'bytes' } : { type: main.type, unit: main.unit },
    period: sampledBytes ? (options.heapPeriod ?? 1) : 1,
    timeNanos: Number.isFinite(snapshotMs) ? snapshotMs * 1e6 : 0,
    // The things were live at one instant: no duration, as Go leaves it on its instant profiles.
    durationNanos: 0,
    comments: [`leakprof: ${profile.name} profile of pid ${proc.pid}${proc.thread ? ` thread ${proc.thread.id}` : ''} (${proc.snapshot.reason})`, `command: ${report.command.join(' ')}`, `argv: ${proc.argv.join(' ')}`],
    // A neutral mapping: the main script as the mapping's file would make `-focus=app.mjs` keep every sample.
    mainFile: 'node',
    buildId: '',
  };
}

export function reportToPprof(report: Report): ReportProfile[] {
  return report.processes.flatMap((proc) =>
    proc.profiles.map((p) => {
      const data = profileToPprof(report, proc, p);
      // check's profiles say which samples are its violations: `-tagfocus verdict=leak`.
      if (report.verdict) data.samples.forEach((s, i) => (s.labels.verdict = [isViolation(report.verdict!, proc.pid, p.name, p.groups[i]!) ? 'leak' : 'ok']));
      return { pid: proc.pid, ...(proc.thread ? { thread: proc.thread.id } : {}), profile: p.name, data };
    }),
  );
}

/** One pprof file of a report: gzipped profile.proto bytes, as `--pprof` writes them (`<pid>.<profile>.pb.gz`). */
export interface PprofFile {
  pid: number;
  profile: string;
  /** The file name `--pprof <dir>` gives it. */
  name: string;
  bytes: Buffer;
}

/** Every (process, profile) of a report as pprof bytes, for `go tool pprof` or any pprof viewer. */
export function toPprof(report: Report): PprofFile[] {
  return reportToPprof(report).map((p) => ({ pid: p.pid, profile: p.profile, name: `${p.pid}.${p.profile}.pb.gz`, bytes: encodePprof(p.data) }));
}

function isViolation(verdict: Verdict, pid: number, profile: string, group: GroupReport): boolean {
  return verdict.violations.some(
    (v) =>
      v.kind === profile &&
      (v.pid === pid || (v.pids?.includes(pid) ?? false)) &&
      v.type === group.type &&
      v.label === group.label &&
      (v.state === undefined || v.state === group.state) &&
      (v.location === undefined || [group.top, group.createdBy?.top, ...(group.frames ?? [])].some((f) => f && f.file === v.location!.file && f.line === v.location!.line)),
  );
}

/**
 * Writes the profiles where `target` says: a file when there is one profile (`.pb.gz` added if
 * missing), else a directory with `<pid>.<profile>.pb.gz` per pair (or, for a target named
 * `x.pb.gz`, the first profile as `x.pb.gz` and the others as `x.<pid>.<profile>.pb.gz` beside it).
 * Returns the files written.
 */
export function writePprofFiles(profiles: Array<{ pid: number; thread?: number; profile: string; data: PprofData }>, target: string): string[] {
  const owner = (p: { pid: number; thread?: number }): string => (p.thread === undefined ? String(p.pid) : `${p.pid}.t${p.thread}`);
  if (profiles.length === 0) return [];
  const named = /\.pb(\.gz)?$/.test(target);
  if (named && profiles.length > 1) {
    // Several profiles for one file name: the first (the command's handles) under that name, as asked; the rest beside it, the name as their stem.
    const stem = target.replace(/\.pb(\.gz)?$/, '');
    return profiles.map((p, i) => {
      const file = i === 0 ? target : `${stem}.${owner(p)}.${p.profile}.pb.gz`;
      writeFileSync(file, encodePprof(p.data));
      return file;
    });
  }
  const isDir = !named && (target.endsWith('/') || (existsDir(target) ?? false) || profiles.length > 1);
  if (!isDir) {
    const file = named ? target : `${target}.pb.gz`;
    writeFileSync(file, encodePprof(profiles[0]!.data));
    return [file];
  }
  mkdirSync(target, { recursive: true });
  return profiles.map((p) => {
    const file = join(target, `${owner(p)}.${p.profile}.pb.gz`);
    writeFileSync(file, encodePprof(p.data));
    return file;
  });
}

function existsDir(path: string): boolean | undefined {
  try {
    return statSync(path).isDirectory();
  } catch {
    return undefined;
  }
}
