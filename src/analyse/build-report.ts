/** From what the processes sent to the report: frames resolved, groups classified and sorted, per-type summary and cross-check. */
import { UNOPENED, type SnapshotMessage, type WireFrame, type WireProfileDescriptor, type WireSample } from '../transport/messages.js';
import type { ProcessSpool } from '../transport/spool-reader.js';
import { newestSnapshot } from '../transport/spool-reader.js';
import type { CrossCheck, GroupReport, ProcessReport, ProfileDescriptor, ProfileReport, TypeSummary } from '../report/schema.js';
import { displayPath, toFrameReports, toolOwner, topUserFrame } from './frames.js';
import { benignReason, hintFor, nodeNameOf, typeOfNodeName } from './resource-types.js';
import { sourceLine } from './source-lines.js';
import { testFromSource } from './test-from-source.js';
import { formatDuration } from '../util/duration.js';
import { countsOf, growthOf, seriesUpTo } from './growth.js';
import { sampleSignature } from './signature.js';
import { attributeSampledOut } from './sampled-out.js';
import { groupKey, identityOf } from '../transport/group-identity.js';

export interface ProcessReportOptions {
  cwd: string;
  /** Pids that did not answer a snapshot request in time. */
  blocked?: ReadonlySet<number>;
  /** Use this snapshot instead of the newest (for periodic reports). */
  snapshot?: SnapshotMessage;
  now?: number;
}

const KEEPS_ALIVE_STATES = new Set(['ref', 'pending', 'active']);

export function buildProcessReport(spool: ProcessSpool, options: ProcessReportOptions): ProcessReport | undefined {
  const snap = options.snapshot ?? newestSnapshot(spool);
  const hello = spool.hello?.process;
  if (!snap && !hello) return undefined;
  // A thread answers for itself: its process's not answering says nothing of it.
  const blocked = spool.threadId === undefined && (options.blocked?.has(spool.pid) ?? false);
  const notes: string[] = [];
  if (blocked) {
    const ago = snap ? formatDuration((options.now ?? Date.now()) - snap.time) : 'n/a';
    notes.push(
      snap
        ? `event loop blocked: the process did not answer; this is its last heartbeat, from ${ago} before the end`
        : 'event loop blocked: the process did not answer and sent no snapshot after it started',
    );
  }
  if (spool.corruptLines > 0) notes.push(`${spool.corruptLines} unreadable spool line(s) skipped (a process killed mid-write)`);
  for (const note of snap?.testNotes ?? []) notes.push(note);
  for (const note of snap?.notes ?? []) notes.push(note);
  if (snap && snap.droppedEntries > 0) notes.push(`${snap.droppedEntries} entries beyond --max-entries were counted but not listed one by one`);

  const series = snap ? seriesOf(spool, snap) : [];
  const profiles: ProfileReport[] = (snap?.profiles ?? []).map((wire) => {
    const profile = wire.descriptor === undefined ? { ...wire, descriptor: fromWireV1(wire.name) } : wire;
    // One group per identity (../transport/group-identity.ts), read off the group as the report shows it; its series sums the samples merged into it.
    const groups = new Map<string, { group: GroupReport; series: Set<string> }>();
    for (const sample of attributeSampledOut(profile.samples)) {
      const group = buildGroup(sample, snap!.stacks, options.cwd, profile.descriptor);
      const key = groupKey(identityOf(profile.name, group));
      const seriesKey = sampleSignature(profile.name, sample, snap!.stacks);
      const same = groups.get(key);
      if (same) {
        mergeInto(same.group, group);
        same.series.add(seriesKey);
      } else groups.set(key, { group, series: new Set([seriesKey]) });
    }
    for (const { group, series: keys } of groups.values()) {
      const counts = series.map((s) => ({ time: s.time, count: [...keys].reduce((sum, k) => sum + (s.counts.get(k) ?? 0), 0) }));
      const growth = growthOf(counts);
      if (growth) group.growth = growth;
      if (counts.length > 1) group.peak = Math.max(...counts.map((c) => c.count));
    }
    const out: ProfileReport = { name: profile.name, descriptor: describe(profile.descriptor), total: profile.total, groups: [...groups.values()].map((g) => g.group).sort(compareGroups) };
    if (profile.totalBytes !== undefined) out.totalBytes = profile.totalBytes;
    return out;
  });

  const thread = hello?.thread;
  const report: ProcessReport = {
    pid: spool.pid,
    ...(spool.threadId !== undefined ? { thread: { id: spool.threadId, file: thread?.file ? displayPath(thread.file, options.cwd) : '', status: 'unknown' as const } } : {}),
    ppid: hello?.ppid ?? 0,
    argv: hello?.argv ?? [],
    execArgv: hello?.execArgv ?? [],
    nodeVersion: hello?.nodeVersion ?? '',
    snapshot: {
      reason: snap?.reason ?? 'none',
      time: new Date(snap?.time ?? hello?.startedAt ?? 0).toISOString(),
      uptimeMs: snap?.uptimeMs ?? 0,
    },
    blocked,
    notes,
    stackMode: snap?.stackMode ?? spool.hello?.stackMode ?? 'auto',
    memory: snap?.memory ?? { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
    profiles,
    summary: snap ? summarize(snap, profiles) : [],
    // A worker's parentPort is made before its collector starts: Node counts it, the collector cannot.
    crossCheck: snap ? crossCheck(snap, profiles).filter((x) => spool.threadId === undefined || x.type !== 'MESSAGEPORT' || x.node - x.collector !== 1) : [],
  };
  if (snap?.memorySamples && snap.memorySamples.length > 0) report.memorySamples = snap.memorySamples;
  if (snap?.settled && snap.settled.length > 0) {
    report.settled = snap.settled.map((s) => {
      const top = s.stack >= 0 && snap.stacks[s.stack] ? topUserFrame(toFrameReports(snap.stacks[s.stack]!, options.cwd)) : null;
      return { type: s.type, why: s.why, count: s.count, location: top ? `${top.file}:${top.line}` : null };
    });
  }
  if (snap?.fdCounts) report.fdCounts = snap.fdCounts;
  const grew = grewAndWent(series, snap ? peaksOf(spool, snap) : new Map(), options.cwd);
  if (grew.length > 0) report.grew = grew;
  if (snap?.promiseCounts) report.promiseCounts = snap.promiseCounts;
  if (snap?.exitCode !== undefined) report.snapshot.exitCode = snap.exitCode;
  if (snap?.exitHow !== undefined) report.snapshot.exitHow = snap.exitHow;
  if (snap?.signal !== undefined) report.snapshot.signal = snap.signal;
  if (snap?.testRunner !== undefined) report.testRunner = snap.testRunner;
  return report;
}

/**
 * A collector of wire version 1 sent no descriptors: an older leakprof's preload whose collector
 * this process's verification API reads (two copies of leakprof in one program). Its handles held
 * the process; its other profiles were not judged by count.
 */
function fromWireV1(name: string): WireProfileDescriptor {
  const handles = name === 'handles';
  return { name, item: 'item', sampleTypes: [{ type: name, unit: 'count', of: 'count' }], holdsProcess: handles, ...(handles ? { check: { flag: 'max-handles', limit: 0 } } : {}) };
}

/** The report's own copy of what the source declared (the public schema is not the wire's). */
function describe(wire: WireProfileDescriptor): ProfileDescriptor {
  const out: ProfileDescriptor = { name: wire.name, item: wire.item, sampleTypes: wire.sampleTypes.map((t) => ({ ...t })), holdsProcess: wire.holdsProcess };
  if (wire.defaultSampleType !== undefined) out.defaultSampleType = wire.defaultSampleType;
  if (wire.check) out.check = { ...wire.check };
  if (wire.hint !== undefined) out.hint = wire.hint;
  if (wire.user) out.user = true;
  return out;
}

/** Counts per group over the appended snapshots up to `snap`: the reader's series points when it kept them, else from the snapshots. */
function seriesOf(spool: ProcessSpool, snap: SnapshotMessage): { time: number; counts: Map<string, number> }[] {
  if (!spool.series) return seriesUpTo(spool.snapshots, snap).map((s) => ({ time: s.time, counts: countsOf(s) }));
  const points = spool.series.filter((p) => p.time <= snap.time && p.seq <= snap.seq);
  if (!points.some((p) => p.seq === snap.seq)) points.push({ seq: snap.seq, time: snap.time, counts: countsOf(snap) });
  return points.sort((a, b) => a.seq - b.seq);
}

function buildGroup(sample: WireSample, stacks: Record<string, WireFrame[]>, cwd: string, profile: WireProfileDescriptor): GroupReport {
  const frames = sample.stack >= 0 && stacks[sample.stack] ? toFrameReports(stacks[sample.stack]!, cwd) : null;
  const top = frames ? topUserFrame(frames) : null;
  const group: GroupReport = {
    count: sample.count,
    type: sample.type,
    label: sample.label,
    state: sample.state,
    ageMinMs: sample.ageMinMs,
    ageMaxMs: sample.ageMaxMs,
    // Only handles and requests hold the event loop; a pending promise, a listener or a user's item never does.
    keepsAlive: profile.holdsProcess && KEEPS_ALIVE_STATES.has(sample.state),
    internal: false,
    frames,
    top,
    entries: sample.entries.map((e) => ({ ...e })),
  };
  if (sample.estimated) group.estimated = true;
  if (sample.variance !== undefined) group.margin = marginOf(sample.variance);
  if (sample.bytes !== undefined) group.bytes = sample.bytes;
  if (sample.createdBy >= 0 && stacks[sample.createdBy]) {
    const byFrames = toFrameReports(stacks[sample.createdBy]!, cwd);
    group.createdBy = { asyncId: sample.createdByAsync, frames: byFrames, top: topUserFrame(byFrames) };
  }
  if (sample.waitingOn !== undefined && stacks[sample.waitingOn]) {
    const onFrames = toFrameReports(stacks[sample.waitingOn]!, cwd);
    group.waitingOn = { frames: onFrames, top: topUserFrame(onFrames) };
  }
  const located = top ?? group.createdBy?.top ?? null;
  if (located) {
    const text = sourceLine(located.file, located.line, cwd);
    if (text) group.source = text;
  }
  // V8 makes the same kind of promise for `await x` and `x.then(…)`: the line says which it was.
  if (sample.type === 'await' && group.source !== undefined && !/\bawait\b/.test(group.source)) {
    group.type = 'then';
    group.label = group.label.replace(/^await/, 'then');
  }
  // No user frame anywhere: Node made it for itself (module loader, stdio) or leakprof did.
  // Node's own housekeeping made on the user's behalf (an unref'd socket timeout) is internal too: it holds nothing.
  group.internal =
    frames !== null && !top && !frames.some((f) => f.kind === 'dependency') && (!located || !group.keepsAlive);
  const benign = benignReason(sample.type) ?? stdioReason(sample);
  if (benign) group.benign = benign;
  const tool = frames ? toolOwner(frames) : undefined;
  if (tool !== undefined) group.tool = tool;
  // A profile that declares its own hint (a user's) knows its items better than a type table does.
  const hint = profile.hint ?? hintFor(sample.type, sample.label, sample.state);
  if (hint) group.hint = hint;
  if (sample.labels !== undefined) group.labels = { ...sample.labels };
  if (sample.test !== undefined) group.test = sample.test;
  else {
    // No runner integration said which test: the source may (test-from-source.ts).
    const test = testFromSource([...(frames ?? []), ...(group.createdBy?.frames ?? [])], cwd);
    if (test !== undefined) group.test = test;
  }
  return group;
}

/** Rising intervals a group released by the end needs before its growth is called a leak. */
const MIN_RISES = 4;

/**
 * Groups that rose through the run and were gone, or fewer, at the end (released at shutdown):
 * judged on the series up to their peak, by the same test as growth at the end (rising in most
 * intervals, falling in few). Each is built as it stood at its peak; a bounded pool never rises.
 */
/** Where each group of the series peaked: the reader's (it keeps that snapshot whole), or found in a one-shot read's snapshots. */
function peaksOf(spool: ProcessSpool, snap: SnapshotMessage): Map<string, { count: number; snapshot: SnapshotMessage }> {
  if (spool.peaks) return spool.peaks;
  const peaks = new Map<string, { count: number; snapshot: SnapshotMessage }>();
  for (const s of seriesUpTo(spool.snapshots, snap)) {
    for (const [key, count] of countsOf(s)) {
      const peak = peaks.get(key);
      if (peak === undefined || count > peak.count) peaks.set(key, { count, snapshot: s });
    }
  }
  return peaks;
}

function grewAndWent(series: Array<{ time: number; counts: Map<string, number> }>, peaks: Map<string, { count: number; snapshot: SnapshotMessage }>, cwd: string): Array<{ profile: string; group: GroupReport }> {
  if (series.length < 3) return [];
  const last = series[series.length - 1]!.counts;
  const keys = new Set(series.flatMap((s) => [...s.counts.keys()]));
  const out: Array<{ profile: string; group: GroupReport }> = [];
  for (const key of keys) {
    const counts = series.map((s) => ({ time: s.time, count: s.counts.get(key) ?? 0 }));
    let at = 0;
    for (let i = 1; i < counts.length; i++) if (counts[i]!.count > counts[at]!.count) at = i;
    const peak = counts[at]!.count;
    // Still at its peak at the end: the group at the end carries its growth.
    if ((last.get(key) ?? 0) >= peak) continue;
    const rising = counts.slice(0, at + 1);
    const growth = growthOf(rising);
    // A pool filling up rises once or twice and levels off (0 → 1 → 2 sockets): growth that is gone by the end must have risen at four samples at least.
    if (!growth || rising.filter((c, i) => i > 0 && c.count > rising[i - 1]!.count).length < MIN_RISES) continue;
    const [profileName] = key.split('\u0000');
    const snapAt = peaks.get(key)?.snapshot;
    if (snapAt === undefined) continue;
    const profile = snapAt.profiles.find((p) => p.name === profileName);
    const samples = attributeSampledOut(profile?.samples ?? []).filter((sample) => sampleSignature(profileName!, sample, snapAt.stacks) === key);
    if (samples.length === 0) continue;
    const described = profile!.descriptor ?? fromWireV1(profileName!);
    const group = buildGroup(samples[0]!, snapAt.stacks, cwd, described);
    for (const other of samples.slice(1)) mergeInto(group, buildGroup(other, snapAt.stacks, cwd, described));
    group.growth = growth;
    group.peak = peak;
    group.entries = group.entries.slice(0, 10);
    out.push({ profile: profileName!, group });
  }
  return out;
}

/** Two samples that read the same in a report (they differ only in Node's or a library's frames) become one group. */
function mergeInto(into: GroupReport, other: GroupReport): void {
  into.count += other.count;
  if (other.bytes !== undefined) into.bytes = (into.bytes ?? 0) + other.bytes;
  if (other.estimated) into.estimated = true;
  // Two estimates from disjoint samples: their variances add.
  if (into.margin !== undefined || other.margin !== undefined) into.margin = Math.round(Math.hypot(into.margin ?? 0, other.margin ?? 0));
  if (!into.waitingOn && other.waitingOn) into.waitingOn = other.waitingOn;
  into.ageMinMs = Math.min(into.ageMinMs, other.ageMinMs);
  into.ageMaxMs = Math.max(into.ageMaxMs, other.ageMaxMs);
  into.entries.push(...other.entries);
}

/** Half the width of an estimate's 95% interval, in things counted. */
function marginOf(variance: number): number {
  return Math.round(1.96 * Math.sqrt(variance));
}

function stdioReason(sample: WireSample): string | undefined {
  if (sample.type !== 'TTYWRAP' && sample.type !== 'PIPEWRAP') return undefined;
  const fds = sample.entries.map((e) => e.details?.fd);
  if (fds.length > 0 && fds.every((fd) => typeof fd === 'number' && fd <= 2)) return 'the process\'s own stdin/stdout/stderr';
  return undefined;
}

/** Largest first (by bytes in the heap profile); ties broken by label then location, so the output is deterministic. */
function compareGroups(a: GroupReport, b: GroupReport): number {
  if (a.bytes !== undefined && b.bytes !== undefined && a.bytes !== b.bytes) return b.bytes - a.bytes;
  if (b.count !== a.count) return b.count - a.count;
  if (a.label !== b.label) return a.label < b.label ? -1 : 1;
  const la = a.top ? `${a.top.file}:${a.top.line}` : '';
  const lb = b.top ? `${b.top.file}:${b.top.line}` : '';
  return la < lb ? -1 : la > lb ? 1 : 0;
}

function summarize(snap: SnapshotMessage, profiles: ProfileReport[]): TypeSummary[] {
  const byType = new Map<string, TypeSummary>();
  // The per-type table is about async_hooks types, the things that can hold the process: other profiles have their own totals.
  for (const profile of profiles.filter((p) => p.descriptor.holdsProcess)) {
    for (const group of profile.groups) {
      if (group.internal || group.benign) continue;
      let row = byType.get(group.type);
      if (!row) {
        const counts = snap.typeCounts[group.type];
        row = { type: group.type, live: 0, ref: 0, unref: 0, oldestMs: 0, created: counts?.created ?? 0, stacked: counts?.stacked ?? 0 };
        byType.set(group.type, row);
      }
      row.live += group.count;
      if (group.state === 'unref') row.unref += group.count;
      else if (group.keepsAlive) row.ref += group.count;
      row.oldestMs = Math.max(row.oldestMs, group.ageMaxMs);
    }
  }
  return [...byType.values()].sort((a, b) => b.live - a.live || (a.type < b.type ? -1 : 1));
}

function crossCheck(snap: SnapshotMessage, profiles: ProfileReport[]): CrossCheck[] {
  // A snapshot built from kept groups does not list Node's own count (it is as long as what is alive): nothing to check against.
  if (snap.kept === true) return [];
  const ours = new Map<string, number>();
  // Node lists a socket by its ref flag even before it has a file descriptor: those may explain a difference.
  const unopened = new Map<string, number>();
  for (const profile of profiles) {
    for (const group of profile.groups) {
      if (group.state === UNOPENED) unopened.set(group.type, (unopened.get(group.type) ?? 0) + group.count);
      if (!group.keepsAlive || group.state === 'active') continue;
      ours.set(group.type, (ours.get(group.type) ?? 0) + group.count);
    }
  }
  const out: CrossCheck[] = [];
  const names = new Set<string>(Object.keys(snap.active));
  for (const type of ours.keys()) {
    const name = nodeNameOf(type);
    if (name) names.add(name);
  }
  for (const name of names) {
    const type = typeOfNodeName(name);
    if (!type) continue;
    const collector = ours.get(type) ?? 0;
    const node = snap.active[name] ?? 0;
    if (node < collector || node > collector + (unopened.get(type) ?? 0)) out.push({ type, nodeName: name, collector, node });
  }
  return out;
}
