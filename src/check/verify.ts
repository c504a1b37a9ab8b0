/**
 * The verification API for test suites, goleak's VerifyNone for Node:
 *
 *   after(() => verifyNone());                                   // node:test
 *   afterEach(async () => { await verifyNone({ ignore: ['TTYWRAP'] }); });
 *   const { leaks } = await trackLeaks(() => handler(req));
 *
 * Settling, not sleeping: while something counts, force a GC and retry with backoff until
 * the settle window ends; only what is still there is a leak. The judging is check's own.
 */
import { forceGc } from '../collect/force-gc.js';
import type { GrowthGroup, HeapGrowth } from './assert-no-growth.js';
import { asOwn } from '../collect/own-activity.js';
import { PROMISES_PROFILE } from '../collect/promise-table.js';
import type { GroupReport, ProcessReport, Verdict, Violation } from '../report/schema.js';
import { renderVerdict } from '../report/verdict-text.js';
import { baselineFrom, type Baseline } from './baseline.js';
import { locationText } from './group-location.js';
import { judge, type Judgement } from './judge.js';
import { resolvePolicy, type PolicyOptions } from './policy.js';
import { promisesMadeSoFar, snapshotProcess } from './in-process.js';
import { scopeToCurrentTest } from './test-scope.js';

export interface VerifyOptions extends PolicyOptions {
  /** Only what is new since this snapshot (or baseline) counts: `const before = snapshot()` … `verifyNone({ baseline: before })`. */
  baseline?: ProcessReport | Baseline;
  /** Print what did not count and what went away while settling (to stderr). */
  verbose?: boolean;
}

export interface VerifyResult {
  verdict: Verdict;
  /** What counted at first and went away while settling. */
  settled: string[];
  /** This process's snapshot the verdict was made on. */
  snapshot: ProcessReport;
}

/**
 * Thrown by verifyNone() when something is left alive after the settle window, and by
 * assertNoGrowth() when objects grew with the calls (then `snapshot` is undefined, and
 * `growth` and `groups` say how the heap moved and what grew).
 */
export class LeakError extends Error {
  readonly growth?: HeapGrowth;
  readonly groups?: GrowthGroup[];

  constructor(
    message: string,
    readonly verdict: Verdict,
    readonly leaks: Violation[],
    readonly snapshot: ProcessReport | undefined,
    heap?: { growth: HeapGrowth; groups: GrowthGroup[] },
  ) {
    super(message);
    this.name = 'LeakError';
    if (heap) {
      this.growth = heap.growth;
      this.groups = heap.groups;
    }
  }
}

/** What is alive in this process now: the same shape as `processes[]` in leakprof's JSON report. */
export function snapshot(): ProcessReport {
  return asOwn(() => snapshotProcess());
}

const MAX_BACKOFF_MS = 100;

/**
 * Resolves when nothing counts as a leak (after the settle window), else rejects with a
 * LeakError whose message lists one line per leak and their creation stacks.
 */
export async function verifyNone(options: VerifyOptions = {}): Promise<VerifyResult> {
  const outcome = await settle(options);
  if (outcome.judgement.verdict.violations.length > 0) {
    throw new LeakError(leakMessage(outcome), outcome.judgement.verdict, outcome.judgement.verdict.violations, outcome.snapshot);
  }
  return { verdict: outcome.judgement.verdict, settled: outcome.settled, snapshot: outcome.snapshot };
}

export interface TrackResult<T> extends VerifyResult {
  /** What fn returned. */
  value: T;
  /** What fn left alive (empty when nothing). */
  leaks: Violation[];
}

/**
 * Runs fn, then says what it left alive (what is new since just before it, after settling).
 * Never throws for a leak; when fn throws, its error is rethrown with `leaks` attached, so a
 * test that fails and leaks reports both.
 */
export async function trackLeaks<T>(fn: () => T | Promise<T>, options: Omit<VerifyOptions, 'baseline'> = {}): Promise<TrackResult<T>> {
  const before = snapshot();
  let value: T;
  try {
    value = await fn();
  } catch (error) {
    const outcome = await settle({ ...options, baseline: before });
    if (error !== null && typeof error === 'object') {
      Object.defineProperty(error, 'leaks', { value: outcome.judgement.verdict.violations, enumerable: false, configurable: true });
    }
    throw error;
  }
  const outcome = await settle({ ...options, baseline: before });
  const verdict = outcome.judgement.verdict;
  return { value, verdict, leaks: verdict.violations, settled: outcome.settled, snapshot: outcome.snapshot };
}

/**
 * Promises made since verification began are its own and its caller's: the `await verifyNone()`
 * itself and the waits inside it are pending by construction, never parked.
 */
function withoutWaitsSince(snap: ProcessReport, promisesBefore: number): ProcessReport {
  const async = snap.profiles.find((p) => p.name === PROMISES_PROFILE.name);
  if (!async) return snap;
  const groups = async.groups.filter((g) => g.entries.length === 0 || g.entries.some((e) => e.id <= promisesBefore));
  if (groups.length === async.groups.length) return snap;
  return { ...snap, profiles: snap.profiles.map((p) => (p === async ? { ...p, groups } : p)) };
}

interface Settled {
  judgement: Judgement;
  snapshot: ProcessReport;
  settled: string[];
}

async function settle(options: VerifyOptions): Promise<Settled> {
  const baseline = options.baseline === undefined ? null : 'schema' in options.baseline && !('pid' in options.baseline) ? options.baseline : baselineFrom([options.baseline as ProcessReport]);
  const policy = resolvePolicy(options, baseline);
  const started = Date.now();
  const promisesBefore = promisesMadeSoFar();
  const look = (): { judgement: Judgement; snap: ProcessReport } => {
    const snap = withoutWaitsSince(scopeToCurrentTest(snapshot()), promisesBefore);
    return { judgement: judge([snap], policy), snap };
  };
  let { judgement, snap } = look();
  const first = judgement.counted.map((c) => describeCounted(c.group, c.count));
  let wait = 5;
  let retries = 0;
  while (judgement.verdict.violations.length > 0 && Date.now() - started < policy.settleMs) {
    // Resources that die only on collection get their chance: a full GC on the first retry and every
    // fourth after it (not every retry: on a large heap each costs milliseconds).
    // After the sleep, not before: the look just taken read every tracked promise's WeakRef, and
    // V8 keeps a WeakRef's target alive until the end of the job that read it.
    await sleep(Math.min(wait, Math.max(1, policy.settleMs - (Date.now() - started))));
    if (retries++ % 4 === 0) forceGc();
    wait = Math.min(wait * 2, MAX_BACKOFF_MS);
    ({ judgement, snap } = look());
  }
  const still = new Set(judgement.counted.map((c) => describeCounted(c.group, c.count)));
  const settled = first.filter((d) => !still.has(d));
  if (options.verbose) {
    process.stderr.write(renderVerdict({ processes: [snap], outcome: { kind: 'exit', exitCode: 0, signal: null }, durationMs: Date.now() - started }, judgement.verdict, { verbose: true, settled, title: 'leakprof verifyNone' }));
  }
  return { judgement, snapshot: snap, settled };
}

function describeCounted(group: GroupReport, count: number): string {
  return `${count} × ${group.label} ${group.state}${locationText(group) ? ` at ${locationText(group)}` : ''}`;
}

function leakMessage(outcome: Settled): string {
  const v = outcome.judgement.verdict.violations;
  const head = `leakprof: ${v.length} leak${v.length === 1 ? '' : 's'} left alive after the settle window`;
  const body = renderVerdict(
    { processes: [outcome.snapshot], outcome: { kind: 'exit', exitCode: 0, signal: null }, durationMs: 0 },
    { ...outcome.judgement.verdict, status: 'clean' },
    { violating: new Set(outcome.judgement.counted.map((c) => c.group)), settled: outcome.settled, title: 'leakprof verifyNone' },
  );
  // A thrown error ends with the stacks, not a status line.
  return `${head}\n${body.slice(0, body.lastIndexOf('leakprof verifyNone:')).trimEnd()}`;
}

function sleep(ms: number): Promise<void> {
  // Our own timer: made inside asOwn so the collector does not count it.
  return new Promise((resolve) => asOwn(() => setTimeout(resolve, ms)));
}
