/**
 * The pprof writer: one profile.proto per (process, profile) of a leakprof report, gzipped, for
 * `go tool pprof` and every viewer that reads pprof. Each group is a sample: its count (and, in
 * the heap profile, its bytes) over its whole creation stack, leaf first, with its type, state,
 * label and test as labels and its age as a numeric label.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodePprof } from './pprof-proto.js';
import type { PprofData, PprofFrame, PprofSample } from './pprof-model.js';
import type { FrameReport, GroupReport, ProcessReport, ProfileReport, Report } from './schema.js';

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

function sampleOf(group: GroupReport, heap: boolean): PprofSample {
  const frames: PprofFrame[] =
    group.frames && group.frames.length > 0
      ? group.frames.map(frameOf)
      : // No stack was captured: one made-up frame, so the group still counts in every total.
        [{ name: `${group.label} (no stack)`, file: '', line: 0, column: 0, objfile: '' }];
  const labels: PprofSample['labels'] = { type: [group.type], state: [group.state], label: [group.label], keeps_alive: [group.keepsAlive ? 'yes' : 'no'] };
  if (group.test) labels.test = [group.test];
  if (group.estimated) labels.estimated = ['yes'];
  return {
    values: heap ? [group.count, group.bytes ?? 0] : [group.count],
    frames,
    labels,
    numLabels: { age: [{ value: group.ageMaxMs, unit: 'milliseconds' }] },
  };
}

/** The pprof profile of one profile of one process. */
export function profileToPprof(report: Report, proc: ProcessReport, profile: ProfileReport): PprofData {
  const heap = profile.name === 'heap';
  const snapshotMs = Date.parse(proc.snapshot.time);
  return {
    sampleTypes: heap
      ? [
          { type: 'samples', unit: 'count' },
          { type: 'space', unit: 'bytes' },
        ]
      : [{ type: profile.name, unit: 'count' }],
    defaultSampleType: heap ? 'space' : profile.name,
    samples: profile.groups.map((g) => sampleOf(g, heap)),
    periodType: heap ? { type: 'space', unit: 'bytes' } : { type: profile.name, unit: 'count' },
    period: 1,
    timeNanos: Number.isFinite(snapshotMs) ? snapshotMs * 1e6 : 0,
    // The things were live at one instant; the process had run this long when they were counted.
    durationNanos: Math.round(proc.snapshot.uptimeMs * 1e6),
    comments: [`leakprof: ${profile.name} profile of pid ${proc.pid}${proc.thread ? ` thread ${proc.thread.id}` : ''} (${proc.snapshot.reason})`, `command: ${report.command.join(' ')}`, `argv: ${proc.argv.join(' ')}`],
    mainFile: proc.argv[1] ?? proc.argv[0] ?? '',
    buildId: '',
  };
}

export function reportToPprof(report: Report): ReportProfile[] {
  return report.processes.flatMap((proc) =>
    proc.profiles.map((p) => ({ pid: proc.pid, ...(proc.thread ? { thread: proc.thread.id } : {}), profile: p.name, data: profileToPprof(report, proc, p) })),
  );
}

/**
 * Writes the profiles where `target` says: a file when there is one profile (`.pb.gz` added if
 * missing), else a directory with `<pid>.<profile>.pb.gz` per pair (or, for a target named
 * `x.pb.gz`, `x.<pid>.<profile>.pb.gz` beside it). Returns the files written.
 */
export function writePprofFiles(profiles: Array<{ pid: number; thread?: number; profile: string; data: PprofData }>, target: string): string[] {
  const owner = (p: { pid: number; thread?: number }): string => (p.thread === undefined ? String(p.pid) : `${p.pid}.t${p.thread}`);
  if (profiles.length === 0) return [];
  const named = /\.pb(\.gz)?$/.test(target);
  if (named && profiles.length > 1) {
    // Several profiles for one file name: one file each beside it, the name as their stem.
    const stem = target.replace(/\.pb(\.gz)?$/, '');
    return profiles.map((p) => {
      const file = `${stem}.${owner(p)}.${p.profile}.pb.gz`;
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
