/**
 * The pprof-style text report: `--debug 1` groups by creation stack with counts, largest
 * first (Go's goroutine profile debug=1); `--debug 2` lists every resource with its state
 * and age (debug=2). See ../shared/pprof-text-format.md for the Go originals.
 */
import type { ChalkInstance } from 'chalk';
import type { FrameReport, GroupReport, ProcessReport, ProfileReport, Report } from './schema.js';
import { renderSummaryTable } from './summary-table.js';
import { formatAgeRange, formatDuration } from '../util/duration.js';
import { plain } from './colors.js';
import { formatBytes } from '../util/bytes.js';
import { renderMemoryLine } from './memory-trend.js';
import { renderHeapLeaks } from './heap-text.js';

export interface TextOptions {
  debug: 1 | 2;
  /** Show Node's internal frames, dependency frames, and Node's own resources. */
  internals: boolean;
  /** Show the per-type summary table. */
  summary: boolean;
  colors: ChalkInstance;
}

const DEFAULTS: TextOptions = { debug: 1, internals: false, summary: true, colors: plain };

export function renderReport(report: Report, options: Partial<TextOptions> = {}): string {
  const opts = { ...DEFAULTS, ...options };
  const c = opts.colors;
  const out: string[] = [];
  for (const proc of report.processes) out.push(renderProcess(proc, opts));
  if (report.processes.length === 0) {
    out.push(c.yellow('leakprof: no Node.js process reported: the command did not start Node, or Node ignored NODE_OPTIONS'));
  }
  out.push(outcomeLine(report, c));
  return out.join('\n') + '\n';
}

export function outcomeLine(report: Report, c: ChalkInstance): string {
  const o = report.outcome;
  const took = formatDuration(report.durationMs);
  switch (o.kind) {
    case 'timeout':
      if (o.idleMs !== undefined) return c.red(`leakprof: the workload was idle for ${formatDuration(o.idleMs)} but still running (--idle); dumped what kept it alive and ended it (${took})`);
      return c.red(`leakprof: the workload was still running after --timeout; dumped what kept it alive and ended it (${took})`);
    case 'signal':
      return c.yellow(`leakprof: the workload ended on ${o.signal} after ${took}${o.message ? ` (${o.message})` : ''}`);
    case 'running':
      return c.dim(`leakprof: the workload is still running (report after ${took})`);
    case 'error':
      return c.red(`leakprof: ${o.message ?? 'the workload could not be run'}`);
    default: {
      const after = o.afterSignal ? ` (it was sent ${o.afterSignal})` : '';
      const text = `leakprof: the workload exited with code ${o.exitCode} after ${took}${after}${o.message ? ` (${o.message})` : ''}`;
      return o.exitCode === 0 ? c.dim(text) : c.yellow(text);
    }
  }
}

export function renderProcess(proc: ProcessReport, opts: TextOptions): string {
  const c = opts.colors;
  const lines: string[] = [];
  const cmd = proc.argv.slice(1).join(' ') || proc.execArgv?.join(' ') || '(unknown command)';
  const title = proc.thread ? `== pid ${proc.pid} ${threadTitle(proc.thread)}` : `== pid ${proc.pid}: node ${cmd}`;
  const status = proc.thread && proc.thread.status !== 'unknown' ? `, ${THREAD_STATUS[proc.thread.status]}` : '';
  lines.push(c.bold(title) + c.dim(` (snapshot ${snapshotWhen(proc)}${status})`));
  for (const note of proc.notes) lines.push(c.yellow(`note: ${note}`));
  for (const profile of proc.profiles) lines.push(renderProfile(profile, proc, opts));
  for (const { group } of proc.grew ?? []) {
    if (group.internal || group.benign) continue;
    const g = group.growth!;
    const top = group.top ?? group.createdBy?.top ?? null;
    lines.push(
      c.red(`grew during the run, released by the end: ${group.label} ${group.state}${top ? ` at ${top.file}:${top.line}` : ''}, +${formatRate(g.perSecond)}/s for ${formatDuration(g.overMs)}, peak ${(group.peak ?? g.to).toLocaleString('en-US')} live`) +
        (top && group.source ? c.dim(`\n#\t| ${group.source}`) : ''),
    );
  }
  if (proc.heapLeaks) lines.push(renderHeapLeaks(proc.heapLeaks, c));
  const memory = renderMemoryLine(proc.memorySamples ?? [], c, proc.profiles.some((p) => p.descriptor.sampleTypes.some((t) => t.of === 'bytes')));
  if (memory) lines.push(memory);
  if (opts.summary && proc.summary.length > 0) lines.push(renderSummaryTable(proc.summary, c));
  const fds = proc.fdCounts;
  if (fds?.open !== undefined && fds.tracked > 0) {
    lines.push(c.dim(`cross-check: fds: ${fds.tracked} attributed by the fds profile, ${fds.open} open per /proc/self/fd (${Math.max(0, fds.open - fds.tracked)} not attributed: stdio, sockets, pipes, Node's and leakprof's own)`));
  }
  for (const x of proc.crossCheck) {
    lines.push(c.dim(`cross-check: ${x.type}: ${x.collector} tracked ref'd, process.getActiveResourcesInfo() reports ${x.node} ${x.nodeName}`));
  }
  return lines.join('\n') + '\n';
}

/** `thread 4: worker fixtures/pool/worker.mjs`. */
export function threadTitle(thread: NonNullable<ProcessReport['thread']>): string {
  return `thread ${thread.id}: worker ${thread.file || '(eval)'}`;
}

/** How a thread stood at its process's last snapshot (analyse/threads.ts). */
const THREAD_STATUS: Record<Exclude<NonNullable<ProcessReport['thread']>['status'], 'unknown'>, string> = {
  running: 'still running at the end',
  unref: 'still running at the end, its Worker unref\'d',
  ended: 'ended before its process',
};

function snapshotWhen(proc: ProcessReport): string {
  const at = `after ${formatDuration(proc.snapshot.uptimeMs)}`;
  switch (proc.snapshot.reason) {
    case 'exit':
      return `at exit, code ${proc.snapshot.exitCode ?? '?'}, ${at}`;
    case 'signal':
      return `on ${proc.snapshot.signal ?? 'a signal'}, ${at}`;
    case 'heartbeat':
      return `last heartbeat, ${at}`;
    default:
      return `${proc.snapshot.reason}, ${at}`;
  }
}

/** Groups a report shows by default: the user's, not Node's own (--internals shows those too). */
export function visibleGroups(profile: ProfileReport, internals: boolean): GroupReport[] {
  return internals ? profile.groups : profile.groups.filter((g) => !g.internal && !g.benign);
}

function renderProfile(profile: ProfileReport, proc: ProcessReport, opts: TextOptions): string {
  const c = opts.colors;
  const shown = visibleGroups(profile, opts.internals);
  const hidden = profile.groups.length - shown.length;
  const hiddenCount = profile.groups.reduce((n, g) => n + g.count, 0) - shown.reduce((n, g) => n + g.count, 0);
  const lines = [c.bold(`${profile.name} profile: total ${profile.totalBytes === undefined ? profile.total : `${formatBytes(profile.totalBytes)} live, estimated from ${profile.total} samples`}`)];
  if (opts.debug === 2) {
    for (const group of shown) for (const entry of group.entries) lines.push(renderEntry(group, entry, opts, profile.descriptor.item), '');
  } else {
    for (const group of shown) lines.push(renderGroup(group, proc, opts), '');
  }
  for (const group of shown) {
    if (!group.growth || !group.top) continue;
    const g = group.growth;
    lines.push(c.red(`growing: +${formatRate(g.perSecond)}/s ${group.label} at ${group.top.file}:${group.top.line} (${g.from} → ${g.to} over ${formatDuration(g.overMs)}, ${g.samples} samples)`));
  }
  if (hidden > 0) {
    lines.push(c.dim(`(${hiddenCount} of Node's own or never-leaking resources in ${hidden} group(s) not shown; --internals shows them)`));
  }
  return lines.join('\n');
}

function renderGroup(group: GroupReport, proc: ProcessReport, opts: TextOptions): string {
  const c = opts.colors;
  const state = group.state === 'ref' || group.state === 'pending' ? c.yellow(group.state) : group.state;
  const growing = group.growth ? ' ' + c.red(`growing +${formatRate(group.growth.perSecond)}/s`) : '';
  const count = group.estimated ? `≈${group.count.toLocaleString('en-US')}${group.margin !== undefined ? ` (±${Math.max(1, Math.round((group.margin * 100) / Math.max(1, group.count)))}%)` : ''}` : String(group.count);
  // A heap group is measured in bytes (what is live now at that allocation stack); its count is the profiler's samples.
  const head =
    group.bytes !== undefined
      ? `${c.bold(formatBytes(group.bytes))} @ ${c.cyan(group.label)} ${state} (${group.count} sample${group.count === 1 ? '' : 's'})`
      : `${c.bold(count)} @ ${c.cyan(group.label)} ${state} age ${formatAgeRange(group.ageMinMs, group.ageMaxMs)}`;
  const lines = [`${head}${growing}`];
  if (group.test !== undefined) lines.push(`#\tin test ${JSON.stringify(group.test)}`);
  if (group.labels !== undefined) lines.push(`#\tlabels: ${Object.entries(group.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (group.frames === null && group.type === 'listener') {
    lines.push(c.dim(`#\t(no creation stack: added before the event passed the watch threshold, or beyond the stack budget)`));
  } else if (group.frames === null) {
    const t = proc.summary.find((s) => s.type === group.type);
    const why = proc.stackMode === 'none' ? 'stacks are off (--stacks none)' : `stacks are sampled for busy kinds (${t?.stacked ?? 0} of ${t?.created ?? 0} ${group.type} created got one)`;
    lines.push(c.dim(`#\t(no creation stack: ${why}; rerun with --stacks all to locate every one)`));
  } else {
    lines.push(...renderFrames(group.frames, group.top, group.source, opts, group.createdBy !== undefined));
  }
  if (group.createdBy) {
    const by = group.createdBy;
    const at = by.top ? `${by.top.function} at ${by.top.file}:${by.top.line}:${by.top.column}` : 'an async ancestor';
    lines.push(by.asyncId >= 0 ? `#\tcreated by ${at} in async ${by.asyncId}` : `#\tcreated by ${at}`);
    if (!group.top && group.source) lines.push(c.dim(`#\t\t| ${group.source}`));
  }
  if (group.waitingOn) lines.push(...waitingOnLines(group.waitingOn, opts));
  const details = summarizeDetails(group);
  if (details) lines.push(c.dim(`#\t${details}`));
  if (group.hint && !group.benign && !group.internal) lines.push(c.green(`#\thint: ${group.hint}`));
  if (group.benign && opts.internals) lines.push(c.dim(`#\tnot a leak: ${group.benign}`));
  return lines.join('\n');
}

function renderFrames(frames: FrameReport[], top: FrameReport | null, source: string | undefined, opts: TextOptions, hasCreatedBy: boolean): string[] {
  const c = opts.colors;
  // As Go hides the runtime's frames: only the user's. Without any, the first library frames say
  // who made it (the "created by" line below says for whom); all of them only when nothing else would show.
  const user = frames.filter((f) => f.kind === 'user');
  const deps = frames.filter((f) => f.kind === 'dependency').slice(0, 3);
  const shown = opts.internals ? frames : user.length > 0 ? user : deps.length > 0 || hasCreatedBy ? deps : frames;
  return shown.map((f) => {
    const where = `${f.file}:${f.line}:${f.column}`;
    const fn = f.async ? `async ${f.function}` : f.function;
    const line = `#\t${f.kind === 'user' ? where : c.dim(where)}\t${fn}`;
    if (f === top && source) return `${line}\t${c.dim(`| ${source}`)}`;
    return f.evalOrigin ? `${line}\t${c.dim(`(${f.evalOrigin})`)}` : line;
  });
}

/** Where the promise the chain waits on was made: its maker (maybe in Node or a library) and the user's line that called it. */
function waitingOnLines(on: NonNullable<GroupReport['waitingOn']>, opts: TextOptions): string[] {
  const maker = on.frames.find((f) => f.file !== 'node:<builtin>');
  if (!maker) return [];
  const line = `#\twaiting on a promise made by ${maker.function} at ${maker.file}:${maker.line}:${maker.column}`;
  if (!on.top || on.top === maker) return [line];
  return [line, opts.colors.dim(`#\t\tcalled from ${on.top.function} at ${on.top.file}:${on.top.line}:${on.top.column}`)];
}

/** Details shared by every entry of the group, or the first few values when they differ. */
function summarizeDetails(group: GroupReport): string | undefined {
  const keys = ['listening', 'remote', 'command', 'pid', 'threadId', 'callback', 'path'];
  const parts: string[] = [];
  for (const key of keys) {
    const values = [...new Set(group.entries.map((e) => e.details?.[key]).filter((v) => v !== undefined).map(String))];
    if (values.length === 0) continue;
    const shownValues = values.slice(0, 3).join(', ') + (values.length > 3 ? `, … (${values.length} distinct)` : '');
    parts.push(`${key}: ${shownValues}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

function formatRate(perSecond: number): string {
  return perSecond >= 10 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
}

function renderEntry(group: GroupReport, entry: GroupReport['entries'][number], opts: TextOptions, word: string): string {
  const c = opts.colors;
  const detail = entry.details
    ? ' ' + Object.entries(entry.details).map(([k, v]) => `${k}=${v}`).join(' ')
    : '';
  const lines = [`${c.bold(`${word} ${entry.id}`)} [${group.label}, ${group.state}, ${formatDuration(entry.ageMs)}]:${c.dim(detail)}`];
  if (group.test !== undefined) lines.push(`in test ${JSON.stringify(group.test)}`);
  const frames = group.frames ?? [];
  const shown = opts.internals || !frames.some((f) => f.kind === 'user') ? frames : frames.filter((f) => f.kind === 'user');
  for (const f of shown) lines.push(`${f.async ? 'async ' : ''}${f.function}(...)`, `\t${f.file}:${f.line}:${f.column}`);
  if (group.frames === null) lines.push(c.dim('(no creation stack; --stacks all)'));
  if (group.createdBy?.top) {
    const t = group.createdBy.top;
    lines.push(`created by ${t.function} in async ${group.createdBy.asyncId}`, `\t${t.file}:${t.line}:${t.column}`);
  } else if (group.waitingOn?.top) {
    const t = group.waitingOn.top;
    lines.push(`waiting on ${t.function}`, `\t${t.file}:${t.line}:${t.column}`);
  } else if (entry.trigger > 0) {
    lines.push(c.dim(`triggered by async ${entry.trigger}`));
  }
  return lines.join('\n');
}
