/**
 * `leakprof report new.json --base old.json`: what changed between two runs, group by group.
 * Groups are matched by their identity (../transport/group-identity.ts: what a person reads in
 * them), so a report against itself has exactly its own groups, all unchanged; what is left
 * unpaired is then paired with the label's numbers masked (a timer's delay computed from the
 * clock). Processes are matched by their command line, profiles by name, so the answer to "what
 * is new since the last release" is: added, grown, shrunk, gone.
 */
import type { ChalkInstance } from 'chalk';
import { plain } from './colors.js';
import type { FrameReport, GroupReport, ProcessReport, Report } from './schema.js';
import { groupKey, identityOf, looseGroupKey } from '../transport/group-identity.js';

export const REPORT_DIFF_SCHEMA = 'leakprof.report-diff/v1';

export type ChangeKind = 'added' | 'grown' | 'shrunk' | 'gone';

export interface GroupChange {
  change: ChangeKind;
  count: number;
  baseCount: number;
  delta: number;
  bytes?: number;
  baseBytes?: number;
  type: string;
  label: string;
  state: string;
  internal: boolean;
  /** The innermost user frame (or the innermost frame), `file:line:col function`. */
  location: string | null;
}

export interface ProfileDiff {
  /** The process's command line (argv after node), how the two runs' processes are matched. */
  process: string;
  pid: number | null;
  basePid: number | null;
  profile: string;
  total: number;
  baseTotal: number;
  changes: GroupChange[];
  /** Groups present in both with the same count. */
  unchanged: number;
}

export interface ReportDiff {
  schema: typeof REPORT_DIFF_SCHEMA;
  current: { command: string[]; startedAt: string };
  base: { command: string[]; startedAt: string };
  profiles: ProfileDiff[];
}

function where(f: FrameReport): string {
  return `${f.file}:${f.line}:${f.column}`;
}

/** Where a person looks: the user's frame, else Go's "created by", else the innermost frame. */
function locationOf(g: GroupReport): string | null {
  if (g.top) return `${where(g.top)} ${g.top.function || '<anonymous>'}`;
  if (g.createdBy?.top) return `${where(g.createdBy.top)} ${g.createdBy.top.function || '<anonymous>'} (created by)`;
  const f = g.frames?.[0];
  return f ? `${where(f)} ${f.function || '<anonymous>'}` : null;
}

function processKey(p: ProcessReport): string {
  return p.argv.slice(1).join(' ') || p.argv.join(' ');
}

/** Pairs each process of `current` with one of `base`: same command line (in order), else the only one. */
function pairProcesses(current: Report, base: Report): Array<[ProcessReport | null, ProcessReport | null]> {
  const left = [...base.processes];
  const pairs: Array<[ProcessReport | null, ProcessReport | null]> = [];
  for (const proc of current.processes) {
    let i = left.findIndex((b) => processKey(b) === processKey(proc));
    if (i < 0 && current.processes.length === 1 && left.length === 1) i = 0;
    pairs.push([proc, i >= 0 ? left.splice(i, 1)[0]! : null]);
  }
  for (const b of left) pairs.push([null, b]);
  return pairs;
}

/** The groups of one profile in both runs, paired: by identity, then what is left by the loose identity; a side is empty for an added or gone group. */
function pairGroups(profile: string, after: readonly GroupReport[], before: readonly GroupReport[]): Array<[GroupReport[], GroupReport[]]> {
  const by = (groups: readonly GroupReport[], key: (g: GroupReport) => string): Map<string, GroupReport[]> => {
    const out = new Map<string, GroupReport[]>();
    for (const g of groups) {
      const k = key(g);
      const same = out.get(k);
      if (same) same.push(g);
      else out.set(k, [g]);
    }
    return out;
  };
  const exact = (g: GroupReport): string => groupKey(identityOf(profile, g));
  const loose = (g: GroupReport): string => looseGroupKey(identityOf(profile, g));
  const a = by(after, exact);
  const b = by(before, exact);
  const pairs: Array<[GroupReport[], GroupReport[]]> = [];
  for (const [key, groups] of a) if (b.has(key)) pairs.push([groups, b.get(key)!]);
  const leftA = by(after.filter((g) => !b.has(exact(g))), loose);
  const leftB = by(before.filter((g) => !a.has(exact(g))), loose);
  for (const [key, groups] of leftA) pairs.push([groups, leftB.get(key) ?? []]);
  for (const [key, groups] of leftB) if (!leftA.has(key)) pairs.push([[], groups]);
  return pairs;
}

export function diffReports(current: Report, base: Report): ReportDiff {
  const profiles: ProfileDiff[] = [];
  for (const [proc, baseProc] of pairProcesses(current, base)) {
    const names = [...new Set([...(proc?.profiles ?? []), ...(baseProc?.profiles ?? [])].map((p) => p.name))];
    for (const name of names) {
      const now = proc?.profiles.find((p) => p.name === name);
      const was = baseProc?.profiles.find((p) => p.name === name);
      const pairs = pairGroups(name, now?.groups ?? [], was?.groups ?? []);
      const changes: GroupChange[] = [];
      let unchanged = 0;
      for (const [a, b] of pairs) {
        const count = a.reduce((s, g) => s + g.count, 0);
        const baseCount = b.reduce((s, g) => s + g.count, 0);
        const sample = (a[0] ?? b[0])!;
        const bytes = a.some((g) => g.bytes !== undefined) ? a.reduce((s, g) => s + (g.bytes ?? 0), 0) : undefined;
        const baseBytes = b.some((g) => g.bytes !== undefined) ? b.reduce((s, g) => s + (g.bytes ?? 0), 0) : undefined;
        const delta = count - baseCount;
        if (delta === 0 && a.length > 0 && b.length > 0 && (bytes ?? 0) === (baseBytes ?? 0)) {
          unchanged++;
          continue;
        }
        const change: ChangeKind = b.length === 0 ? 'added' : a.length === 0 ? 'gone' : delta > 0 || (delta === 0 && (bytes ?? 0) > (baseBytes ?? 0)) ? 'grown' : 'shrunk';
        changes.push({
          change,
          count,
          baseCount,
          delta,
          ...(bytes !== undefined ? { bytes } : {}),
          ...(baseBytes !== undefined ? { baseBytes } : {}),
          type: sample.type,
          label: sample.label,
          state: sample.state,
          internal: a.length > 0 ? a.every((g) => g.internal) : b.every((g) => g.internal),
          location: locationOf(sample),
        });
      }
      changes.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.location ?? '').localeCompare(y.location ?? ''));
      profiles.push({
        process: processKey((proc ?? baseProc)!),
        pid: proc?.pid ?? null,
        basePid: baseProc?.pid ?? null,
        profile: name,
        total: now?.total ?? 0,
        baseTotal: was?.total ?? 0,
        changes,
        unchanged,
      });
    }
  }
  return {
    schema: REPORT_DIFF_SCHEMA,
    current: { command: current.command, startedAt: current.startedAt },
    base: { command: base.command, startedAt: base.startedAt },
    profiles,
  };
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** The diff as text: per process and profile, the totals, then one line per changed group. */
export function renderReportDiff(diff: ReportDiff, options: { internals?: boolean; colors?: ChalkInstance } = {}): string {
  const c = options.colors ?? plain;
  const out: string[] = [];
  for (const p of diff.profiles) {
    const shown = p.changes.filter((ch) => options.internals || !ch.internal);
    const hidden = p.changes.length - shown.length;
    out.push(c.bold(`== node ${p.process}`) + c.dim(` (pid ${p.pid ?? '-'}, base pid ${p.basePid ?? '-'})`));
    out.push(c.bold(`${p.profile} profile: total ${p.total} (base ${p.baseTotal}, ${signed(p.total - p.baseTotal)})`));
    for (const ch of shown) {
      const color = ch.change === 'added' || ch.change === 'grown' ? c.red : c.green;
      const bytes = ch.bytes !== undefined || ch.baseBytes !== undefined ? `, ${signed((ch.bytes ?? 0) - (ch.baseBytes ?? 0))} bytes` : '';
      out.push(
        `${color(signed(ch.delta).padStart(6))} ${ch.change.padEnd(6)} ${ch.type} ${ch.state}  ${ch.label}` +
          c.dim(` (${ch.baseCount} → ${ch.count}${bytes})`) +
          `\n#\t${ch.location ?? '(no stack)'}`,
      );
    }
    const quiet: string[] = [];
    if (p.unchanged > 0) quiet.push(`${p.unchanged} group${p.unchanged > 1 ? 's' : ''} unchanged`);
    if (hidden > 0) quiet.push(`${hidden} change${hidden > 1 ? 's' : ''} in Node's own resources hidden (--internals shows them)`);
    if (shown.length === 0) quiet.unshift('no change');
    if (quiet.length > 0) out.push(c.dim(quiet.join('; ')));
    out.push('');
  }
  if (diff.profiles.length === 0) out.push('no profiles in either report');
  return `${out.join('\n')}\n`;
}
