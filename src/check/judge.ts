/**
 * The judgement shared by `leakprof check` and verifyNone(): from processes' profiles to a
 * verdict. Generic over profiles: each is judged as its descriptor says (whether its items hold
 * the process open, its limit's flag and default; a profile with no check rule, the heap
 * profile, is never judged) — handles, async, listeners, a user's own alike — plus heap growth
 * (kind 'heap-growth') from the memory series.
 */
import { HEAP_GROWTH, type Exclusion, type GroupReport, type HeapTrend, type Outcome, type ProcessReport, type ProfileDescriptor, type Verdict, type Violation } from '../report/schema.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import { exitCodeForSignal } from '../util/signals.js';
import { BaselineBudget } from './baseline.js';
import { locate, locationText, testOf } from './group-location.js';
import { ignoredBy } from './ignore-rules.js';
import { failsOn, limitFor, type CheckPolicy } from './policy.js';
import { UNOPENED } from '../transport/messages.js';
import { holdsSomething } from '../analyse/resource-types.js';
import { heapTrend, trendEvidence } from '../analyse/growth.js';
import { topHeapLeak } from '../analyse/heap/top-leak.js';
import { renderPath, shapeOf } from '../report/heap-text.js';

/** The heap profile (run --heap): live memory by allocation stack. */

export const EXIT_CLEAN = 0;
export const EXIT_LEAK = 1;
export const EXIT_HANG = 124;

/** A group that counts against its kind's limit (count may be less than the group's: what the baseline knew is off). */
export interface Counted {
  kind: string;
  /** The profile the group is of. */
  profile: ProfileDescriptor;
  pid: number;
  /** Set when the group is a worker thread's (threads: judged like processes). */
  thread?: number;
  /** With `thread`: where its Worker was made. */
  threadAt?: string;
  group: GroupReport;
  count: number;
}

export interface Judgement {
  verdict: Verdict;
  /** Every counted group behind the violations (a violation may stand for several: one leak seen in many processes). */
  counted: Counted[];
  /** One group per violation, in the same order: the one whose stacks are printed under the one-line messages. */
  shown: Counted[];
}

/** States of non-handle profiles that are over and done (a settled promise): never counted. */
const DONE_STATES = new Set(['resolved', 'rejected', 'settled', 'fulfilled', 'object']);

export function judge(processes: readonly ProcessReport[], policy: CheckPolicy, outcome?: Outcome): Judgement {
  const excluded: Exclusion[] = [];
  const counted: Counted[] = [];
  const budget = policy.baseline ? new BaselineBudget(policy.baseline) : null;
  const early = endedEarly(processes);

  for (const proc of processes) {
    // On their way out at the snapshot: said in --verbose, never counted. Only those the workload made.
    // The settled are resources of the profile whose items hold the process.
    const resources = proc.profiles.find((p) => p.descriptor.holdsProcess)?.name ?? 'handles';
    for (const s of proc.settled ?? []) {
      if (s.location === null) continue;
      const why = s.why === 'closing' ? 'closed: its destroy event had not arrived yet' : 'freed by garbage collection';
      excluded.push({ kind: resources, pid: proc.pid, count: s.count, type: s.type, label: s.type, state: s.why, location: s.location, why: 'settled', reason: why });
    }
    const workers = workerLocations(proc);
    // threads: a thread that had ended before its process, or whose Worker was unref'd, is not judged (--strict judges the latter).
    const threadOff = threadNotJudged(proc, policy.strict);
    for (const profile of proc.profiles) {
      const d = profile.descriptor;
      // Reported, never judged (the heap profile: its growth is judged on the memory series).
      if (!d.check) continue;
      for (const group of profile.groups) {
        const exclude = (why: Exclusion['why'], reason: string, count = group.count): void => {
          const entry: Exclusion = { kind: profile.name, pid: proc.pid, count, type: group.type, label: group.label, state: group.state, why, reason };
          const at = locationText(group);
          if (at) entry.location = at;
          excluded.push(entry);
        };
        if (threadOff) {
          exclude(threadOff.why, threadOff.reason);
          continue;
        }
        if (group.internal) {
          exclude('internal', "Node's own (no frame of the workload's code)");
          continue;
        }
        if (group.benign) {
          exclude('benign', group.benign);
          continue;
        }
        if (group.tool !== undefined) {
          // By where it was made, even while a test ran (vitest's throttle timer, npm's file handles).
          exclude('runner', `${group.tool}'s own: made in its files, with no frame of your code`);
          continue;
        }
        if (group.type === 'MESSAGEPORT' && workers.has(locationText(group) ?? '')) {
          exclude('internal', "a Worker's own message ports: the worker is what counts");
          continue;
        }
        const only = reportedOnly(proc, d, group, early);
        if (only) {
          exclude(only.why, only.reason);
          continue;
        }
        const where = locate(group)?.how;
        if (proc.testRunner && !testOf(group) && where !== 'top' && where !== 'createdBy') {
          exclude('runner', `the test runner's own (${proc.testRunner}): made outside any test, with no frame of your code`);
          continue;
        }
        if (!counts(d, group, policy.strict)) {
          exclude('unref', !d.holdsProcess ? `state ${group.state}` : !policy.strict ? "unref'd: does not keep the process alive (--strict counts it)"
            : group.state === 'object' ? 'a JavaScript object, not a handle: it holds nothing by itself'
            : "unref'd and made by library code alone (no frame of yours): the library's own housekeeping");
          continue;
        }
        const rule = ignoredBy(group, policy.ignore);
        if (rule) {
          exclude('ignored', `ignored by rule ${rule.text}`);
          continue;
        }
        const due = dueWithinSettle(proc, group, policy.settleMs);
        if (due !== undefined) {
          exclude('settled', `a one-shot timer due in ${formatDuration(due)}, within the settle window (${formatDuration(policy.settleMs)}): the process exited before it fired`);
          continue;
        }
        let count = group.count;
        if (budget) {
          const known = budget.take(profile.name, group, count);
          if (known > 0) exclude('baseline', 'alive in the baseline', known);
          count -= known;
          if (count === 0) continue;
        }
        counted.push({
          kind: profile.name,
          profile: d,
          pid: proc.pid,
          group,
          count,
          ...(proc.thread ? { thread: proc.thread.id, ...(proc.thread.createdAt ? { threadAt: proc.thread.createdAt } : {}) } : {}),
        });
      }
    }
  }
  explainedWorkers(counted, excluded);

  const violations: Violation[] = [];
  // Every judged profile any process declared, in the order first seen (handles first: every collector has it).
  const judged = new Map<string, ProfileDescriptor>();
  for (const proc of processes) for (const p of proc.profiles) if (p.descriptor.check && !judged.has(p.name)) judged.set(p.name, p.descriptor);
  const totals: Verdict['totals'] = [];
  const over: Counted[] = [];
  for (const [kind, descriptor] of judged) {
    const mine = counted.filter((c) => c.kind === kind);
    const total = mine.reduce((n, c) => n + c.count, 0);
    const limit = limitFor(policy, descriptor);
    const failOn = failsOn(policy, kind);
    totals.push({ kind, counted: total, limit, failOn });
    if (failOn && total > limit) over.push(...mine);
  }
  const shown: Counted[] = [];
  const manyProcesses = new Set(over.map((c) => c.pid)).size > 1;
  for (const place of sameLeak(over)) {
    if (place.length > MAX_TEST_LINES) {
      // One line made the same leak in many tests: one line, naming the first tests and how many in all.
      const all = place.flat();
      violations.push(violationFor(all, manyProcesses, place.flatMap((same) => testOf(same[0]!.group) ?? []).sort()));
      shown.push(all[0]!);
      continue;
    }
    for (const same of place) {
      violations.push(violationFor(same, manyProcesses));
      shown.push(same[0]!);
    }
  }

  // growth: what kept growing while the run went on, even if released by the end (--every).
  for (const proc of processes) {
    if (threadNotJudged(proc, policy.strict)) continue;
    for (const { profile, group } of proc.grew ?? []) {
      if (group.internal || group.benign || group.tool !== undefined || !failsOn(policy, profile)) continue;
      if (ignoredBy(group, policy.ignore)) continue;
      const holdsProcess = proc.profiles.find((p) => p.name === profile)?.descriptor.holdsProcess ?? false;
      if (!holdsProcess ? DONE_STATES.has(group.state) : group.state === UNOPENED || group.state === 'pending') continue;
      const violation = growthViolation(proc, profile, group, processes.length > 1);
      // Groups that read the same (one line, two ancestors) are one leak.
      if (!violations.some((v) => v.message === violation.message)) violations.push(violation);
    }
  }

  if (policy.maxHeapGrowth !== null) {
    for (const proc of processes) {
      const trend = heapTrend(proc.memorySamples ?? [], policy.maxHeapGrowth);
      const failOn = failsOn(policy, HEAP_GROWTH);
      const total: Verdict['totals'][number] = { kind: HEAP_GROWTH, counted: trend.verdict === 'growing' ? trend.growth : 0, limit: policy.maxHeapGrowth, failOn };
      if (trend.verdict !== 'growing') total.note = `${trend.verdict === 'too-few' ? 'not judged' : 'steady'} in pid ${proc.pid}: ${trend.why}`;
      totals.push(total);
      if (failOn && trend.verdict === 'growing') {
        violations.push(heapViolation(trend, policy.maxHeapGrowth, proc, processes.length > 1));
      }
    }
  }

  const { status, exitCode } = statusOf(violations.length > 0, outcome);
  return { verdict: { status, exitCode, violations, excluded, totals }, counted: over, shown };
}

/**
 * What is only reported, never counted, whatever the limits: things that hold nothing. A
 * process that exited by itself (its loop ran empty, or it called process.exit()) was kept
 * alive by nothing; what counts there is what is still open and holds something.
 */
function reportedOnly(proc: ProcessReport, profile: ProfileDescriptor, group: GroupReport, early: ReadonlySet<number>): { why: Exclusion['why']; reason: string } | undefined {
  if (unfinishedWorker(proc)) {
    return { why: 'unfinished', reason: `its test runner (${proc.testRunner}) ended this worker before it wrote its exit snapshot: its last heartbeat saw tests at work, not what they left` };
  }
  if (early.has(proc.pid)) {
    return {
      why: 'unfinished',
      reason: `${proc.thread ? 'its process' : 'it'} ended before the run did, with no exit of its own (killed by its parent or another process, or died): its last heartbeat saw it at work, not what it left`,
    };
  }
  const exited = endedByItself(proc);
  if (profile.holdsProcess) {
    if (group.state === UNOPENED) return { why: 'holds-nothing', reason: 'a socket with no file descriptor of its own (never connected, already let go, or a TLS socket over a JavaScript stream, whose own transport is judged by itself): it holds nothing' };
    // Requests (fs, dns, connect, write) have no ref of their own: 'pending' is their state.
    if (exited && group.state === 'pending') {
      return { why: 'exited', reason: `a request still in flight when the process ${exitedHow(proc)}: it completes by itself, there is nothing to close` };
    }
    if (exited && !holdsSomething(group.type)) {
      return { why: 'holds-nothing', reason: `${group.type} holds no file descriptor, port, peer or armed timer: in a process that ${exitedHow(proc)} it kept nothing open` };
    }
    return undefined;
  }
  if (profile.check?.endsWithExitCall && exited && proc.snapshot.exitHow === 'exit-call') {
    return { why: 'exited', reason: 'pending when the process ended itself (process.exit()): the code waiting on it stopped with the process, it was not parked' };
  }
  return undefined;
}

/** `leak (growing): Timeout 60000ms ref at src/throttle.mjs:15, +4,000/s for 3s, peak 12,000 live — …` */
function growthViolation(proc: ProcessReport, profile: string, group: GroupReport, withPid: boolean): Violation {
  const g = group.growth!;
  const at = locate(group);
  const test = testOf(group);
  const rate = g.perSecond >= 10 ? Math.round(g.perSecond).toLocaleString('en-US') : g.perSecond.toFixed(1);
  const peak = group.peak ?? g.to;
  const where = at ? ` at ${at.frame.file}:${at.frame.line}` : '';
  const violation: Violation = {
    kind: profile,
    pid: proc.pid,
    message:
      `leak (growing): ${group.label} ${group.state}${where}, +${rate}/s for ${formatDuration(g.overMs)}, peak ${peak.toLocaleString('en-US')} live` +
      `${test ? ` (in test ${JSON.stringify(test)})` : ''}${withPid ? ` [pid ${proc.pid}]` : ''}${proc.thread ? ` (in thread ${proc.thread.id})` : ''}` +
      ` — released only at shutdown: ${actionOf(group.hint)}`,
    count: peak,
    type: group.type,
    label: group.label,
    state: group.state,
    growing: true,
  };
  if (proc.thread) violation.threads = [proc.thread.id];
  if (at) violation.location = { file: at.frame.file, line: at.frame.line, column: at.frame.column, function: at.frame.function };
  if (test) violation.test = test;
  if (group.hint) violation.hint = group.hint;
  return violation;
}

/**
 * A Worker whose threads have leaks of their own counted is one leak with them: it is named at
 * the line inside the thread (which says where the Worker was made), not again as the Worker.
 */
function explainedWorkers(counted: Counted[], excluded: Exclusion[]): void {
  const leaky = new Set(counted.flatMap((c) => (c.thread === undefined ? [] : [`${c.pid}.${c.thread}`])));
  if (leaky.size === 0) return;
  for (let i = counted.length - 1; i >= 0; i--) {
    const c = counted[i]!;
    if (c.group.type !== 'WORKER') continue;
    const ids = c.group.entries.flatMap((e) => (typeof e.details?.threadId === 'number' ? [e.details.threadId] : []));
    if (ids.length !== c.count || !ids.every((id) => leaky.has(`${c.pid}.${id}`))) continue;
    counted.splice(i, 1);
    const entry: Exclusion = {
      kind: c.kind,
      pid: c.pid,
      count: c.count,
      type: c.group.type,
      label: c.group.label,
      state: c.group.state,
      why: 'inside',
      reason: `what keeps ${ids.length === 1 ? 'its thread' : 'its threads'} (${listOf(ids)}) alive is counted inside, at its line there: one leak`,
    };
    const at = locationText(c.group);
    if (at) entry.location = at;
    excluded.push(entry);
  }
}

/** threads: what is not judged in a worker thread's section, and why (analyse/threads.ts says how each stood). */
function threadNotJudged(proc: ProcessReport, strict: boolean): { why: Exclusion['why']; reason: string } | undefined {
  const status = proc.thread?.status;
  // A test runner's thread (vitest's threads pool) is ended by its runner once its tests ran: judged like a runner's process at its SIGTERM.
  if (status === 'ended' && proc.testRunner === undefined) return { why: 'exited', reason: `thread ${proc.thread!.id} had ended before its process (exited or terminated): what it held went with it` };
  if (status === 'unref' && !strict) return { why: 'unref', reason: `thread ${proc.thread!.id}'s Worker was unref'd: it does not keep the process alive (--strict counts it)` };
  return undefined;
}

/**
 * It reached its end: it exited (by itself or by process.exit()), or it is a test runner's worker
 * that its runner ended with SIGTERM once its tests ran — the runner's normal way of finishing
 * one, whatever the worker still had open. What kept it alive is not the question there.
 */
function endedByItself(proc: ProcessReport): boolean {
  return (
    proc.snapshot.reason === 'exit' ||
    (proc.testRunner !== undefined && proc.snapshot.reason === 'signal' && proc.snapshot.signal === 'SIGTERM') ||
    (proc.testRunner !== undefined && proc.thread?.status === 'ended')
  );
}

/**
 * A test runner's worker with no end state: it died (its runner killed it, on a loaded machine
 * before its exit snapshot was written) and what is known is a heartbeat taken while a test ran.
 * Not leakprof's doing: a worker leakprof ended or found blocked answered, or is judged as hung.
 */
function unfinishedWorker(proc: ProcessReport): boolean {
  return proc.testRunner !== undefined && proc.snapshot.reason === 'heartbeat' && !proc.blocked;
}

/**
 * Processes below the workload that ended before the run did with no exit event (no exit
 * snapshot, and gone when leakprof asked at the end: not blocked): a parent's `child.kill()`, a
 * test harness ending the server it started. What they had open went with them, ended by their
 * owner; their last heartbeat is work in progress. A process still alive at the end answers
 * leakprof's request and is judged; the workload itself (whose parent is leakprof) always is.
 */
function endedEarly(processes: readonly ProcessReport[]): Set<number> {
  const pids = new Set(processes.map((p) => p.pid));
  const out = new Set<number>();
  for (const proc of processes) {
    if (proc.thread || proc.blocked || !pids.has(proc.ppid)) continue;
    if (proc.snapshot.reason === 'heartbeat' || proc.snapshot.reason === 'none') out.add(proc.pid);
  }
  return out;
}

function exitedHow(proc: ProcessReport): string {
  if (proc.snapshot.reason === 'signal' || proc.thread?.status === 'ended') return `was ended by its test runner (${proc.testRunner}) once its tests ran`;
  switch (proc.snapshot.exitHow) {
    case 'exit-call':
      return 'called process.exit()';
    case 'fatal':
      return 'was ended by an uncaught error';
    default:
      return 'exited by itself';
  }
}

/**
 * One leak, one line: counted groups of one kind, type and state at the same user line (and in the same
 * test) are one violation, whichever processes made them and whoever called that line. Groups with no
 * line of the user's are one violation per type and state.
 */
/** Tests named one line each at one place; beyond it, the place is one line naming its tests. */
const MAX_TEST_LINES = 3;

/**
 * The same leak, as one line: what one place (kind, type, state, the user's line) made, across
 * processes and callers, split by test; the tests of one place come together (a place that
 * leaked in more than MAX_TEST_LINES tests is one line naming them).
 */
function sameLeak(over: readonly Counted[]): Counted[][][] {
  const byPlace = new Map<string, Map<string, Counted[]>>();
  for (const c of over) {
    const at = locate(c.group);
    const place = [c.kind, c.group.type, c.group.state, at ? `${at.how === 'library' ? 'lib' : 'user'}:${at.frame.file}:${at.frame.line}` : c.group.frames !== null ? 'node' : 'none'].join('\u0000');
    const tests = byPlace.get(place) ?? new Map<string, Counted[]>();
    byPlace.set(place, tests);
    const test = testOf(c.group) ?? '';
    const same = tests.get(test);
    if (same) same.push(c);
    else tests.set(test, [c]);
  }
  return [...byPlace.values()].map((tests) => [...tests.values()]);
}

/** Where this process made Worker threads: each comes with message ports of its own, made at the same line. */
function workerLocations(proc: ProcessReport): Set<string> {
  const out = new Set<string>();
  for (const profile of proc.profiles) {
    for (const group of profile.groups) if (group.type === 'WORKER') out.add(locationText(group) ?? '');
  }
  out.delete('');
  return out;
}

function counts(profile: ProfileDescriptor, group: GroupReport, strict: boolean): boolean {
  // --strict counts unref'd handles the workload's code made (an unref'd socket per request);
  // a library's own unref'd housekeeping (npm's progress timer, a pool's idle timer) it cannot close.
  if (profile.holdsProcess) return group.keepsAlive || (strict && group.state !== 'object' && (group.top !== null || group.createdBy?.top != null));
  return !DONE_STATES.has(group.state);
}

/**
 * An exit snapshot cannot wait, so the settle window is applied by projection: a one-shot
 * timer that would have fired within it is treated as settled (goleak's retry would have seen
 * it go). Intervals never settle. Returns the latest due time, or undefined.
 */
function dueWithinSettle(proc: ProcessReport, group: GroupReport, settleMs: number): number | undefined {
  if (!endedByItself(proc) || group.type !== 'Timeout' || settleMs <= 0) return undefined;
  if (group.entries.length !== group.count || group.entries.length === 0) return undefined;
  let latest = 0;
  for (const entry of group.entries) {
    const d = entry.details;
    if (!d || d.repeat === true || typeof d.nextFireInMs !== 'number' || d.nextFireInMs > settleMs) return undefined;
    latest = Math.max(latest, d.nextFireInMs);
  }
  return latest;
}

/**
 * `leak (heap): +38.2MB after start-up (6.1MB → 44.3MB, +21.5MB/s over 2s), still growing over 14 of 17 samples
 * after GC, Mann–Kendall p < 0.001, more than --max-heap-growth 5MB; 4,000 × Timeout in one Set held by throttles
 * declared at app.mjs:13, allocated at app.mjs:18 (… → throttles: Set → Timeout) — …`: the trend, then what the
 * leak set says holds it and where it was made (the violation's location).
 */
function heapViolation(trend: HeapTrend, limit: number, proc: ProcessReport, withPid: boolean): Violation {
  const violation: Violation = { kind: HEAP_GROWTH, pid: proc.pid, count: trend.growth, message: '', trend };
  const released = trend.releasedTo !== undefined ? `; released before the end (back to ${formatBytes(trend.releasedTo)}), but it grew while running` : '';
  const head =
    `leak (heap): +${formatBytes(trend.growth)} after start-up (${formatBytes(trend.from)} → ${formatBytes(trend.to)}, +${formatBytes(trend.perSecond)}/s over ${formatDuration(trend.overMs)}), ` +
    `still growing over ${trendEvidence(trend)}, more than --max-heap-growth ${formatBytes(limit)}${released}${withPid ? ` [pid ${proc.pid}]` : ''}`;
  if (!proc.heapLeaks) {
    const why = proc.notes.find((n) => n.startsWith('heap leak set') || n.startsWith('heap snapshot'));
    return { ...violation, message: `${head} — ${why ? `no heap leak set (${why})` : 'rerun with --heap to see what holds it'}` };
  }
  // The sampling heap profile (the profile measured in bytes): its allocating functions, for the allocating line.
  const allocations = proc.profiles.filter((p) => p.descriptor.sampleTypes.some((t) => t.of === 'bytes')).flatMap((p) => p.groups);
  const top = topHeapLeak(proc.heapLeaks.groups, process.cwd(), allocations);
  if (!top) return { ...violation, message: `${head} — the heap leak set named no group that grew between the snapshots (--heap-dir keeps them for DevTools)` };
  const g = top.group;
  const size = g.retainedBytes !== undefined ? `, ${formatBytes(g.retainedBytes)} retained` : '';
  const holder = top.holder ? ` held by ${top.holder.variable}${top.holder.line !== undefined ? ` declared at ${top.holder.file}:${top.holder.line}` : ` in ${top.holder.file}`}` : '';
  const a = top.allocated;
  let allocated = '';
  if (a) {
    const fn = a.function === '<anonymous>' ? '' : ` in ${a.function}`;
    allocated = a.exact ? `, allocated${fn} at ${a.file}:${a.line}` : `, allocated${fn || ' in <anonymous>'} (${a.file}:${a.line})`;
    violation.location = { file: a.file, line: a.line, column: a.column, function: a.function };
  }
  const shape = shapeOf(g) || (top.chainThrough ? ` in a chain through ${top.chainThrough.join(' → ')}` : '');
  const message = `${head}; ${g.count.toLocaleString('en-US')} × ${g.name}${shape}${size}${holder}${allocated} (${renderPath(top.heldFrom)}) — let go of them when the work that needed them ends`;
  return { ...violation, message };
}

/** The exit code: a hang and a failed workload say so first; leaks otherwise; 0 when clean. */
export function statusOf(leaked: boolean, outcome?: Outcome): { status: Verdict['status']; exitCode: number } {
  if (outcome?.kind === 'timeout') return { status: 'hang', exitCode: EXIT_HANG };
  if (outcome && (outcome.exitCode !== 0 || outcome.signal)) {
    const code = outcome.exitCode ?? (outcome.signal ? exitCodeForSignal(outcome.signal) : 1);
    if (code !== 0) return { status: 'failed', exitCode: code };
  }
  return leaked ? { status: 'leak', exitCode: EXIT_LEAK } : { status: 'clean', exitCode: EXIT_CLEAN };
}

/**
 * `leak: 3 × TCPWRAP ref, created at test/db.test.js:41 (in test "reconnects") — close the socket or the client that owns it`;
 * one leak in many processes: `leak: 22 processes: 1 × TCPWRAP ref, created at test/request.js:21 [pids 101, 102, …] — …`.
 */
export function violationFor(same: readonly Counted[], withPid: boolean, tests?: readonly string[]): Violation {
  const c = same[0]!;
  const g = c.group;
  const total = same.reduce((n, x) => n + x.count, 0);
  const perPid = new Map<number, number>();
  for (const x of same) perPid.set(x.pid, (perPid.get(x.pid) ?? 0) + x.count);
  const labels = new Set(same.map((x) => x.group.label));
  const label = labels.size === 1 ? g.label : g.type;
  const at = locate(g);
  const test = testOf(g);
  const prefix = c.profile.holdsProcess ? 'leak' : `leak (${c.kind})`;
  let where: string;
  if (!at) {
    where =
      g.frames !== null ? 'created by Node itself (no frame of your code)'
      : g.label.endsWith('(made before tracking)') || !c.profile.holdsProcess ? 'no creation stack'
      : 'no creation stack (sampled out: rerun with --stacks all to locate it)';
  } else if (at.how === 'top') {
    where = `created at ${at.frame.file}:${at.frame.line}`;
  } else if (at.how === 'createdBy') {
    where = `created by ${at.frame.function} at ${at.frame.file}:${at.frame.line}`;
  } else {
    where = `created in ${at.frame.file}:${at.frame.line}, a library (no frame of your code; --ignore '${g.type}@${libraryGlob(at.frame.file)}' if it is the library's own)`;
  }
  const pids = [...perPid.keys()];
  const threads = [...new Set(same.flatMap((x) => (x.thread === undefined ? [] : [x.thread])))].sort((a, b) => a - b);
  const pid =
    (pids.length > 1 ? ` [pids ${listOf(pids)}]` : withPid ? ` [pid ${c.pid}]` : '') +
    (threads.length > 1 ? ` (in threads ${listOf(threads)}${madeAt(same, true)})` : threads.length === 1 ? ` (in thread ${threads[0]}${madeAt(same, false)})` : '');
  const intest =
    tests ? ` (${testList(tests)}${same.some((x) => testOf(x.group) === undefined) ? ', and outside any test' : ''})`
    : test ? ` (in test ${JSON.stringify(test)})` : '';
  const action = actionOf(g.hint);
  const approx = same.some((x) => estimated(x.group)) ? '≈' : '';
  const counts = [...perPid.values()];
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  const howMany = pids.length > 1 ? `${pids.length} processes: ${approx}${low === high ? low : `${low}–${high}`}` : `${approx}${total}`;
  const violation: Violation = {
    kind: c.kind,
    pid: c.pid,
    message: `${prefix}: ${howMany} × ${label} ${g.state}, ${where}${intest}${pid} — ${action}`,
    count: total,
    type: g.type,
    label,
    state: g.state,
  };
  if (pids.length > 1) violation.pids = pids;
  if (threads.length > 0) violation.threads = threads;
  if (at) violation.location = { file: at.frame.file, line: at.frame.line, column: at.frame.column, function: at.frame.function };
  if (tests) violation.tests = [...tests];
  else if (test) violation.test = test;
  if (g.hint) violation.hint = g.hint;
  return violation;
}

/** `, Workers made at src/pool.mjs:12`: where the threads' Workers were made, when one line made them all. */
function madeAt(same: readonly Counted[], many: boolean): string {
  const at = new Set(same.map((x) => x.threadAt));
  const [only] = at;
  return at.size === 1 && only !== undefined ? `, ${many ? 'Workers' : 'a Worker'} made at ${only}` : '';
}

/** `in 12 tests: "a", "b", "c" and 9 more`: the first few tests by name, then how many more. */
function testList(tests: readonly string[]): string {
  const shown = tests.slice(0, MAX_TEST_LINES).map((t) => JSON.stringify(t)).join(', ');
  const more = tests.length - MAX_TEST_LINES;
  return `in ${tests.length} test${tests.length === 1 ? '' : 's'}: ${shown}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The first few pids, then how many in all. */
function listOf(pids: readonly number[]): string {
  const shown = pids.slice(0, 5).join(', ');
  return pids.length > 5 ? `${shown}, … ${pids.length} in all` : shown;
}

/** Sampled profiles (promises above their budget) mark their counts as estimates. */
function estimated(group: GroupReport): boolean {
  return (group as GroupReport & { estimated?: unknown }).estimated === true;
}

/** The hints read "a socket still open: close it …": the part after the colon is what to do. */
function actionOf(hint: string | undefined): string {
  if (!hint) return 'close or release it when the work that needed it ends';
  const colon = hint.indexOf(': ');
  return colon >= 0 ? hint.slice(colon + 2) : hint;
}

function libraryGlob(file: string): string {
  const parts = file.split('/');
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return file;
  const scoped = parts[i + 1]?.startsWith('@') ? 2 : 1;
  return [...parts.slice(0, i + 1 + scoped), '**'].join('/');
}
