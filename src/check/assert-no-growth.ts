/**
 * `await assertNoGrowth(fn, { iterations: 30 })`: for unit tests, leakage's `iterate` with
 * leakprof's heap analysis behind it. fn runs repeatedly between full GCs and the call throws a
 * LeakError naming what grew, or resolves.
 *
 * Two steps, so that a clean function never fails and a leaky one is named:
 *   1. The heap after GC, sampled over `iterations` calls after a warm-up, judged by its trend
 *      (Mann–Kendall and Theil–Sen over the series, the sign test over its rounds:
 *      analyse/trend-test.ts). No significant rise: it passes. The
 *      trend alone never fails a test: a function that compiles, pretenures or fills a pool moves
 *      the heap by a few hundred bytes now and then too.
 *   2. A rise is confirmed or dismissed by three heap snapshots `iterations` calls apart (the
 *      leak set of analyse/heap/leak-set.ts): it fails only when a kind of object grew by about
 *      the same number in both intervals, a few per ten calls at least, with the objects of the
 *      first interval still alive at the end. That is what a leak per call looks like, and what
 *      noise, warm-up and garbage do not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { findHeapLeaks } from '../analyse/heap/leak-set.js';
import { holderOf } from '../analyse/heap/top-leak.js';
import { stepsOf, trendOf, type Trend } from '../analyse/trend-test.js';
import { forceGc } from '../collect/force-gc.js';
import { asOwn } from '../collect/own-activity.js';
import { renderPath } from '../report/heap-text.js';
import type { HeapLeakGroup, HeapPathStep, HeapTrend, Verdict, Violation } from '../report/schema.js';
import { formatBytes } from '../util/bytes.js';
import { LeakError } from './verify.js';

export interface NoGrowthOptions {
  /** Calls of fn whose heap trend is judged, and the distance in calls between the confirming snapshots (default 30, at least 6). */
  iterations?: number;
  /** Calls before anything is measured, for caches, pools and lazy compilation to fill (default a third of iterations, at least 5). */
  warmup?: number;
  /** What the holder's file is read relative to, for its declaration line (default process.cwd()). */
  cwd?: string;
}

/** How the heap moved while fn ran: what a LeakError carries as `.growth`, and what a pass resolves with. */
export interface HeapGrowth {
  /** Calls judged (the option), and the warm-up calls before them. */
  iterations: number;
  warmup: number;
  /** Every call of fn, snapshots' intervals included. */
  calls: number;
  /** The last series: heap after GC (used, plus the external memory objects own) at each sample, and the calls made in the series when it was taken. */
  heapUsed: number[];
  atCall: number[];
  /** Theil–Sen slope of the heap after GC, bytes per call, and Mann–Kendall's one-sided p that it rises. */
  bytesPerIteration: number;
  p: number;
  /** Whether the rise was significant enough to take snapshots (step 2). */
  snapshots: boolean;
  /** The verdict in a few words. */
  why: string;
}

/** A kind of object that grew with the calls (`.groups` of a LeakError, largest first). */
export interface GrowthGroup {
  /** The class or V8's name for the kind (`Session`, `(closure) onTick`, `(string)`). */
  name: string;
  /** New objects of the kind per call (the two intervals' growth over their calls). */
  perIteration: number;
  /** Objects of the kind in each of the three snapshots, `iterations` calls apart. */
  counts: [number, number, number];
  /** Objects made after the first snapshot and still alive in the last two, and what they retain. */
  leaked: number;
  retainedBytes: number;
  /** The program's variable on the path that holds them, and where it is declared. */
  holder?: { variable: string; file: string; line?: number };
  /** What the holder variable is (`Map`, `EventEmitter`), else the one object they all sit in. */
  container?: string;
  /** The shortest path from a GC root to one of them. */
  path: HeapPathStep[];
  /** Where a closure's (or a class's constructor's) code is. */
  location?: { file: string; line: number; column: number };
}

const DEFAULT_ITERATIONS = 30;
const MIN_ITERATIONS = 6;
/** Heap samples over the judged calls: enough for Mann–Kendall, few enough that GCs stay cheap. */
const MAX_SAMPLES = 15;
/** A rise significant at this level is looked at with snapshots; below it, the call passes. */
const P_SNAPSHOTS = 0.01;
/** A rise over one series that is worth snapshots however it came (steadily or in steps). */
const BIG_RISE = 256 * 1024;
/** Heap leak set groups looked at (largest first). */
const GROUPS_READ = 25;

/**
 * What a test runner keeps for itself while a test runs, growing with fn's calls without being
 * fn's leak: each named (goleak's filters), matched on the retainer path, and said in `why`.
 */
const RUNNER_HOLDERS: ReadonlyArray<{ name: string; holds: (path: readonly HeapPathStep[]) => boolean }> = [
  {
    name: "jest's console buffer (it keeps what console.log printed until the test ends)",
    holds: (path) => path.some((step, k) => step.edge === '_buffer' && k > 0 && path[k - 1]!.edge === 'console'),
  },
];

/**
 * Runs fn `warmup` times, then `iterations` times between full GCs; resolves with how the heap
 * moved when nothing grew with the calls, else throws a LeakError whose message is one line:
 * `leak: +1 Session per iteration (30 iterations, +4.2KB): held by sessions (Map) declared at test/cache.mjs:5`.
 * An error fn throws is rethrown as it is.
 */
export async function assertNoGrowth(fn: (iteration: number) => unknown, options: NoGrowthOptions = {}): Promise<HeapGrowth> {
  if (typeof fn !== 'function') throw new TypeError(`assertNoGrowth: the first argument must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const iterations = count('iterations', options.iterations ?? DEFAULT_ITERATIONS, MIN_ITERATIONS);
  const warmup = count('warmup', options.warmup ?? Math.max(5, Math.ceil(iterations / 3)), 0);
  const cwd = options.cwd ?? process.cwd();
  if (!forceGc()) throw new Error('assertNoGrowth: this Node offers no way to force a garbage collection; run it with --expose-gc');

  let calls = 0;
  const call = async (): Promise<void> => {
    await fn(calls++);
  };
  for (let i = 0; i < warmup; i++) await call();

  // Step 1: the heap after GC, sampled over the judged calls. A rise is looked at again over as
  // many calls more (the first series then was warm-up too): what rises once is often the JIT
  // tiering up or a runner's own bookkeeping; a leak rises in both. So is a series that went up in
  // most rounds without a significant rise: something else let go of memory once in it (a
  // runner's start-up read, the garbage of a test before), and a leak shows in the next series.
  let series = await sampleHeap(call, () => calls, iterations);
  const first = rises(series);
  if (first.yes || first.maybe) series = await sampleHeap(call, () => calls, iterations);
  const { heapUsed, atCall, times, trend } = series;
  const rise = rises(series);
  const growth: HeapGrowth = { iterations, warmup, calls, heapUsed, atCall, bytesPerIteration: trend.slope, p: trend.p, snapshots: false, why: rise.why };
  if (!rise.yes) return growth;

  // Step 2: three snapshots `iterations` calls apart; what grew in both intervals, alike.
  const dir = mkdtempSync(join(tmpdir(), `leakprof-assert-${process.pid}-`));
  let groups: GrowthGroup[];
  const dismissed: string[] = [];
  try {
    const files: string[] = [];
    for (let k = 0; k < 3; k++) {
      for (let i = 0; k > 0 && i < iterations; i++) await call();
      await heapAfterGc();
      const file = join(dir, `${k + 1}.heapsnapshot`);
      asOwn(() => writeHeapSnapshot(file));
      files.push(file);
    }
    const leaks = await findHeapLeaks(
      files.map((file, k) => ({ file, label: `after ${k * iterations} more calls` })),
      { top: GROUPS_READ, keepFiles: false, checkInput: false },
    );
    groups = [];
    for (const g of leaks.groups.flatMap((x) => grewWithCalls(x, iterations, cwd))) {
      const runner = RUNNER_HOLDERS.find((r) => r.holds(g.path));
      if (runner) dismissed.push(`+${perCall(g.perIteration)} ${g.name} per iteration held by ${runner.name}`);
      else groups.push(g);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  growth.calls = calls;
  growth.snapshots = true;
  const runners = dismissed.length > 0 ? ` (not counted: ${dismissed.join('; ')})` : '';
  if (groups.length === 0) {
    return { ...growth, why: `${rise.why}, but no kind of object of the code under test grew with the calls in three snapshots ${iterations} calls apart${runners}` };
  }
  groups.sort((a, b) => b.retainedBytes - a.retainedBytes || b.perIteration - a.perIteration);
  growth.why = `${rise.why}, and ${groups.length} kind(s) of object grew with the calls in three snapshots ${iterations} calls apart${runners}`;
  const message = leakLine(groups, growth);
  const violation = violationOf(message, groups, growth, trend, trendOf(heapUsed, times).slope * 1000, times[times.length - 1]! - times[0]!);
  const verdict: Verdict = {
    status: 'leak',
    exitCode: 1,
    violations: [violation],
    excluded: [],
    totals: [{ kind: 'heap-growth', counted: leakedBytes(groups), limit: null, failOn: true }],
  };
  throw new LeakError(message, verdict, [violation], undefined, { growth, groups });
}

interface Series {
  heapUsed: number[];
  /** Calls made since the series began, at each sample. */
  atCall: number[];
  times: number[];
  trend: Trend;
}

/**
 * The heap after GC before and after each of up to MAX_SAMPLES rounds that together make
 * `iterations` calls. The samples go into arrays made beforehand: arrays growing as they are
 * filled would be a rise of the sampler's own.
 */
async function sampleHeap(call: () => Promise<void>, calls: () => number, iterations: number): Promise<Series> {
  const samples = Math.min(MAX_SAMPLES, iterations);
  const heap = new Float64Array(samples + 1);
  const at = new Float64Array(samples + 1);
  const when = new Float64Array(samples + 1);
  const start = calls();
  heap[0] = await heapAfterGc();
  when[0] = performance.now();
  for (let s = 1; s <= samples; s++) {
    const upTo = Math.round((iterations * s) / samples);
    while (calls() - start < upTo) await call();
    heap[s] = await heapAfterGc();
    at[s] = calls() - start;
    when[s] = performance.now();
  }
  const heapUsed = Array.from(heap);
  const atCall = Array.from(at);
  return { heapUsed, atCall, times: Array.from(when), trend: trendOf(heapUsed, atCall) };
}

/**
 * Worth snapshots: a rise that is steady — up in half the rounds or more, and significantly more
 * often up than down (the sign test over the rounds), as a leak of one object per round or more is
 * — or significant over the whole series (Mann–Kendall, a positive Theil–Sen slope) and either
 * steady or large (BIG_RISE over the series: a big object leaked every few calls).
 * The rounds are counted on their own as well as in pairs because a runner releases memory of its
 * own now and then (jest lets go of a start-up read when its I/O completes, which on a busy
 * machine is mid-series): one fall larger than the whole rise turns every pair across it into a
 * fall, and hid a steady leak from Mann–Kendall; it is one round down of fifteen here.
 * The JIT's one-off steps (a few KB of code and feedback when a function tiers up, three or four
 * times in a cold process) are neither; garbage after a full GC is none. `maybe`: up in most rounds
 * (the median round rose) but not significantly — worth another series, not snapshots.
 */
function rises(series: Series): { yes: boolean; maybe: boolean; why: string } {
  const { heapUsed, atCall, trend } = series;
  const samples = `${heapUsed.length} samples after GC`;
  const rounds = heapUsed.length - 1;
  const steps = stepsOf(heapUsed);
  const steady = steps.up * 2 >= rounds;
  const significant = trend.p < P_SNAPSHOTS && trend.slope > 0;
  const stepwise = steady && steps.median > 0 && steps.p < P_SNAPSHOTS;
  if (!significant && !stepwise) {
    return {
      yes: false,
      maybe: steady && steps.median > 0,
      why: `the heap after GC did not rise (${formatBytes(Math.round(trend.slope))} per call, Mann–Kendall p = ${trend.p.toFixed(3)}; up in ${steps.up} of ${rounds} rounds, down in ${steps.down}, sign test p = ${steps.p.toFixed(3)}; over ${samples})`,
    };
  }
  const total = Math.max(trend.slope * atCall[atCall.length - 1]!, steps.median * rounds);
  if (steady || total >= BIG_RISE) {
    const p = significant ? `p = ${trend.p.toExponential(1)}` : `sign test p = ${steps.p.toExponential(1)}`;
    return { yes: true, maybe: false, why: `the heap after GC rose in ${steps.up} of ${rounds} rounds (+${formatBytes(Math.round(total))}, ${p})` };
  }
  return { yes: false, maybe: false, why: `the heap after GC rose in ${steps.up} of ${rounds} rounds only (+${formatBytes(Math.round(total))}), in steps, not steadily as a leak does` };
}

function count(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`assertNoGrowth: ${name} must be an integer of at least ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * The heap after a full GC (its objects and the external memory they own), once what fn left pending has had its turn: a turn of the event loop
 * first (immediates, I/O callbacks, and the promise jobs before them), so that work fn scheduled
 * to clean up after itself is not counted as growth.
 */
async function heapAfterGc(): Promise<number> {
  await new Promise<void>((resolve) => asOwn(() => setImmediate(resolve)));
  // Twice: with the memory outside the heap that JS objects own (Buffers' and ArrayBuffers' bytes:
  // a leaked Buffer is its bytes, not its 100-byte object), whose release V8 finishes only at the
  // next GC; after one, the bytes freed by the GC before would show as a fall of megabytes.
  forceGc();
  forceGc();
  const stats = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number };
  return stats.used_heap_size + (stats.external_memory ?? 0);
}

/**
 * A leak set group that grew with the calls: by about as many objects in each interval (within a
 * quarter, or two), at least max(2, a tenth of the calls) in each, and most of the first
 * interval's objects still alive at the end. Noise grows by a few now and then, warm-up in the
 * first interval only, garbage not at all.
 */
function grewWithCalls(g: HeapLeakGroup, iterations: number, cwd: string): GrowthGroup[] {
  const [a, b, c] = g.countsBySnapshot as [number, number, number];
  const first = b - a;
  const second = c - b;
  const floor = Math.max(2, Math.ceil(iterations / 10));
  if (first < floor || second < floor) return [];
  if (Math.abs(first - second) > Math.max(2, Math.max(first, second) / 4)) return [];
  if (g.count * 2 < first) return [];
  const out: GrowthGroup = {
    name: g.name,
    perIteration: (first + second) / (2 * iterations),
    counts: [a, b, c],
    leaked: g.count,
    retainedBytes: g.retainedBytes ?? g.selfBytes,
    path: g.retainerPath,
  };
  const holder = holderOf(g.retainerPath, cwd);
  if (holder) out.holder = holder;
  const container = containerOf(g.retainerPath, holder?.variable) ?? g.collection?.name;
  if (container) out.container = container;
  if (g.location) out.location = g.location;
  return [out];
}

/** The object the holder variable points at (`sessions: Map` → Map), when it is not one of the group itself. */
function containerOf(path: readonly HeapPathStep[], variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  for (let k = path.length - 2; k > 0; k--) {
    if (path[k]!.edge === variable && path[k]!.edgeType === 'context') return path[k]!.node;
  }
  return undefined;
}

/** `+1 Session per iteration (30 iterations, +4.2KB): held by sessions (Map) declared at test/cache.mjs:5`. */
function leakLine(groups: readonly GrowthGroup[], growth: HeapGrowth): string {
  const g = groups[0]!;
  const bytes = leakedBytes(groups);
  const others = groups.slice(1, 3).map((o) => `+${perCall(o.perIteration)} ${o.name}`);
  const more = groups.length > 3 ? `, … ${groups.length - 1} more kinds` : '';
  const defined = g.location && g.name.startsWith('(closure)') ? ` (defined at ${g.location.file}:${g.location.line})` : '';
  return `leak: +${perCall(g.perIteration)} ${g.name}${defined} per iteration (${growth.iterations} iterations, +${formatBytes(bytes)}): held by ${heldBy(g)}${others.length > 0 ? `; also ${others.join(', ')}${more}` : ''}`;
}

/** What `iterations` calls left: the objects of the first interval that stayed, with what they hold. */
function leakedBytes(groups: readonly GrowthGroup[]): number {
  return groups.reduce((n, g) => n + g.retainedBytes, 0);
}

function heldBy(g: GrowthGroup): string {
  const container = g.container ? ` (${g.container})` : '';
  if (g.holder) return `${g.holder.variable}${container} ${g.holder.line !== undefined ? `declared at ${g.holder.file}:${g.holder.line}` : `in ${g.holder.file}`}`;
  return renderPath(g.path.slice(-3)) || '(no strong path found)';
}

/** 1, 2.5, 0.33: objects per call as a person reads them. */
function perCall(n: number): string {
  return n >= 10 ? String(Math.round(n)) : String(Number(n.toPrecision(2)));
}

function violationOf(message: string, groups: readonly GrowthGroup[], growth: HeapGrowth, trend: Trend, perSecond: number, overMs: number): Violation {
  const g = groups[0]!;
  const first = growth.heapUsed[0]!;
  const last = growth.heapUsed[growth.heapUsed.length - 1]!;
  const heap: HeapTrend = {
    verdict: 'growing',
    samples: growth.heapUsed.length,
    warmup: 0,
    judged: growth.heapUsed.length,
    from: first,
    to: last,
    growth: Math.max(0, trend.slope * growth.iterations),
    perSecond,
    overMs: Math.round(overMs),
    p: trend.p,
  };
  const v: Violation = { kind: 'heap-growth', pid: process.pid, message, count: g.leaked, type: g.name, label: g.name, trend: heap };
  if (g.holder?.line !== undefined) v.location = { file: g.holder.file, line: g.holder.line, column: 1, function: g.holder.variable };
  return v;
}
