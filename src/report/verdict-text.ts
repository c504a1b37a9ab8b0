/**
 * check's human output: one line a person can act on per violation, then the grouped stacks
 * of those groups (the pprof-style text of text-report.ts), then one status line. --verbose
 * adds what did not count and why (benign kinds, unref'd, ignore rules, baseline, settled).
 */
import type { ChalkInstance } from 'chalk';
import { HEAP_GROWTH, type GroupReport, type ProcessReport, type Report, type Verdict } from './schema.js';
import { renderProcess, type TextOptions } from './text-report.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import { plain } from './colors.js';

export interface VerdictTextOptions extends Partial<TextOptions> {
  verbose?: boolean;
  /** Groups behind the violations, to print their stacks. */
  violating?: ReadonlySet<GroupReport>;
  /** What went away while settling (verifyNone's retries). */
  settled?: string[];
  /** Who speaks in the status line (default `leakprof check`). */
  title?: string;
}

export function renderVerdict(report: Pick<Report, 'processes' | 'outcome' | 'durationMs'>, verdict: Verdict, options: VerdictTextOptions = {}): string {
  const c = options.colors ?? plain;
  const out: string[] = [];
  for (const v of verdict.violations) out.push(v.message.replace(/^(leak[^:]*|heap):/, (m) => c.red.bold(m)));
  for (const proc of report.processes) for (const note of proc.notes) if (note.startsWith('event loop blocked')) out.push(c.red(`hang: pid ${proc.pid}: ${note}`));
  for (const proc of report.processes) for (const note of proc.notes) if (note.startsWith('test "')) out.push(c.yellow(`warning: ${note}`));
  // Asked to judge the heap and could not (too short a run): said, so an ok is not mistaken for a judged one.
  for (const t of verdict.totals) if (t.kind === HEAP_GROWTH && t.note?.startsWith('not judged')) out.push(c.dim(`heap: ${t.note}`));
  if (out.length > 0) out.push('');

  const violating = options.violating;
  if (violating && violating.size > 0) {
    const text: TextOptions = { debug: options.debug ?? 1, internals: options.internals ?? false, summary: false, colors: c };
    for (const proc of report.processes) {
      const shown = onlyViolating(proc, violating);
      if (shown) out.push(renderProcess(shown, text));
    }
  }

  if (options.verbose) out.push(...processNotes(report.processes, c), ...verboseLines(verdict, options.settled ?? [], c));
  out.push(statusLine(report, verdict, c, options.title));
  return out.join('\n') + '\n';
}

function onlyViolating(proc: ProcessReport, violating: ReadonlySet<GroupReport>): ProcessReport | undefined {
  const profiles = proc.profiles
    .map((p) => ({ ...p, groups: p.groups.filter((g) => violating.has(g)) }))
    .filter((p) => p.groups.length > 0);
  if (profiles.length === 0) return undefined;
  return { ...proc, notes: [], crossCheck: [], profiles };
}

/** --verbose: the processes' other notes (a runner integration that could not name tests…), each once. */
function processNotes(processes: readonly ProcessReport[], c: ChalkInstance): string[] {
  const notes = new Set<string>();
  for (const proc of processes) for (const note of proc.notes) if (!note.startsWith('event loop blocked') && !note.startsWith('test "')) notes.add(note);
  return [...notes].map((note) => c.dim(`note: ${note}`));
}

function verboseLines(verdict: Verdict, settled: string[], c: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const s of settled) lines.push(c.dim(`settled: ${s}`));
  const internal = verdict.excluded.filter((e) => e.why === 'internal');
  for (const e of verdict.excluded) {
    if (e.why === 'internal') continue;
    lines.push(c.dim(`not counted (${e.why}): ${e.count} × ${e.label} ${e.state}${e.location ? ` at ${e.location}` : ''} — ${e.reason}`));
  }
  if (internal.length > 0) {
    const n = internal.reduce((sum, e) => sum + e.count, 0);
    lines.push(c.dim(`not counted (internal): ${n} of Node's own resources in ${internal.length} group(s) (--internals shows them)`));
  }
  for (const t of verdict.totals) {
    const off = t.failOn ? '' : ' (not in --fail-on)';
    if (t.kind === HEAP_GROWTH) lines.push(c.dim(`heap growth: ${formatBytes(t.counted)}, limit ${t.limit === null ? 'none' : formatBytes(t.limit)}${off}${t.note ? ` (${t.note})` : ''}`));
    else lines.push(c.dim(`total ${t.kind}: ${t.counted} counted, limit ${t.limit ?? 'none'}${off}`));
  }
  if (lines.length > 0) lines.push('');
  return lines;
}

export function statusLine(report: Pick<Report, 'outcome' | 'durationMs'>, verdict: Verdict, c: ChalkInstance, title = 'leakprof check'): string {
  const n = verdict.violations.length;
  const leaks = `${n} violation${n === 1 ? '' : 's'}`;
  const took = formatDuration(report.durationMs);
  if (verdict.baselineWritten) {
    const b = verdict.baselineWritten;
    if (b.error) return c.red.bold(`${title}: the baseline could not be written to ${b.file} (${b.error}); nothing was judged (exit ${verdict.exitCode})`);
    return c.green(`${title}: baseline written to ${b.file} (${b.groups} group(s) alive now); later checks report only what is new (exit ${verdict.exitCode})`);
  }
  switch (verdict.status) {
    case 'clean': {
      const skipped = verdict.excluded.filter((e) => e.why !== 'internal').length;
      return c.green(`${title}: ok — no leaks after ${took}${skipped ? ` (${skipped} live group(s) not counted; --verbose says why)` : ''}`);
    }
    case 'leak':
      return c.red.bold(`${title}: FAIL — ${leaks} (exit 1)`);
    case 'hang':
      return c.red.bold(`${title}: HANG — the workload was still running ${report.outcome.idleMs !== undefined ? `after ${formatDuration(report.outcome.idleMs)} idle (--idle)` : 'after --timeout'}; dumped what kept it alive and ended it${n ? `; ${leaks} above` : ''} (exit 124)`);
    case 'failed': {
      const how = (report.outcome.signal ? `was killed by ${report.outcome.signal}` : `exited with code ${report.outcome.exitCode}`) + (report.outcome.message ? `: ${report.outcome.message}` : '');
      return c.red.bold(`${title}: the workload failed (it ${how})${n ? `; ${leaks} listed above too` : ''} (exit ${verdict.exitCode})`);
    }
  }
}

