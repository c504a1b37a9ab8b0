/**
 * The report leakprof writes with --json / -o: the public schema, one typed definition, documented
 * in docs/json.md. It stands on its own (never built from the wire types between the collector
 * and the parent, so a wire change cannot change what users parse). Any change bumps
 * REPORT_SCHEMA_REVISION; a change that breaks a reader (a field removed, renamed or retyped)
 * bumps REPORT_SCHEMA. test/schema-lock.test.js fails on a change without a bump.
 */

export const REPORT_SCHEMA = 'leakprof.report/v2';
/** Counts every change to this file's types, additive ones included. */
export const REPORT_SCHEMA_REVISION = 7;

/** How creation stacks were captured: `auto` (sampled above a budget), `all`, `none`. */
export type StackMode = 'auto' | 'all' | 'none';

/** A resource's own details (`delayMs`, `remote`, `listening`, …) for `--debug 2` and hints. */
export type ResourceDetails = Record<string, string | number | boolean>;

/** process.memoryUsage() at the snapshot, bytes. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** One point of a process's memory series. */
export interface MemorySample {
  /** Process uptime, ms. */
  t: number;
  heapUsed: number;
  rss: number;
  /** Taken right after a forced garbage collection, so heapUsed is what is really held. */
  gc?: boolean;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  /** REPORT_SCHEMA_REVISION of the leakprof that wrote it. */
  schemaRevision: number;
  tool: { name: 'leakprof'; version: string };
  /** The command leakprof ran, as given. */
  command: string[];
  cwd: string;
  startedAt: string;
  durationMs: number;
  outcome: Outcome;
  /** One entry per instrumented Node process (the command, and every Node process it started). */
  processes: ProcessReport[];
  /** `leakprof check` only: the judgement. */
  verdict?: Verdict;
}

export interface Outcome {
  /**
   * exit: the workload ended by itself; signal: it was ended by a signal; timeout: leakprof ended it after --timeout;
   * error: it could not be run; running: a report taken while it runs (--every, SIGUSR2 to leakprof).
   */
  kind: 'exit' | 'signal' | 'timeout' | 'error' | 'running';
  exitCode: number | null;
  signal: string | null;
  /** kind exit: the signal it had been sent (by leakprof passing it on, or a terminal's Ctrl-C) before it ended by itself. */
  afterSignal?: string;
  /** What else is known of how it ended (`ran out of memory`), or why it could not be run. */
  message?: string;
  /** timeout only: leakprof ended it because every process had been idle this long (--idle), not at --timeout. */
  idleMs?: number;
}

export interface ProcessReport {
  pid: number;
  /** Set when this section is a worker thread of process `pid`, not the process (analyse/threads.ts). */
  thread?: ThreadInfo;
  ppid: number;
  argv: string[];
  execArgv: string[];
  nodeVersion: string;
  /** Which snapshot this is: taken at exit, on request, on a signal, or the last heartbeat of a process that could not answer. */
  /** exitHow, for reason 'exit': 'natural' (its event loop ran empty), 'exit-call' (process.exit()), 'fatal' (an uncaught error). */
  snapshot: { reason: string; time: string; uptimeMs: number; exitCode?: number; exitHow?: 'natural' | 'exit-call' | 'fatal'; signal?: string };
  /** True when the process did not answer a snapshot request (its event loop was blocked); the data is its last heartbeat. */
  blocked: boolean;
  /** True when this is not the process's last state: it ended without a last snapshot (killed, out of memory), or the analysis was interrupted. */
  partial?: boolean;
  /** Node aborted it because the JavaScript heap was full (the notes say how full it was last seen). */
  outOfMemory?: boolean;
  notes: string[];
  stackMode: StackMode;
  memory: MemoryUsage;
  /** With --promises: promises created, settled, and how many got a creation stack (the async profile holds only those). */
  promiseCounts?: { created: number; settled: number; stacked: number; abandoned: number; sampled: boolean };
  profiles: ProfileReport[];
  summary: TypeSummary[];
  /** The test runner whose process this was (node:test, mocha, jest, vitest), when leakprof recognised one. */
  testRunner?: string;
  /** Types where async_hooks and process.getActiveResourcesInfo() disagree on ref'd resources. */
  crossCheck: CrossCheck[];
  /**
   * Groups that grew during the run (--every snapshots) and were gone, or fewer, by the end: a
   * per-request timer or agent released only at shutdown. Each group as it stood at its peak.
   */
  grew?: Array<{ profile: string; group: GroupReport }>;
  /** The fds profile's cross-check: descriptors it attributes, and all the process had open (/proc/self/fd, Linux, main thread only). */
  fdCounts?: { tracked: number; open?: number };
  /** What was on its way out at the snapshot and not counted: closing (closed, destroy pending) or freed by GC. */
  settled?: Array<{ type: string; why: 'closing' | 'collected'; count: number; location: string | null }>;
  /** heapUsed/rss over the run, oldest first: at collector start, every heartbeat, at exit (after a GC in check mode). */
  memorySamples?: MemorySample[];
  /** With --heap: the three-snapshot leak set of this process (absent when fewer than three heap snapshots were taken). */
  heapLeaks?: HeapLeakReport;
}

/** A worker thread's section: which thread, what it runs, and how it stood at the end. */
export interface ThreadInfo {
  /** Node's threadId (the WORKER handle's in its parent thread). */
  id: number;
  /** The worker's script, relative to the working directory; '' when eval'd. */
  file: string;
  /** Where its Worker was made (file:line of the first frame of the program's code), when a stack says. */
  createdAt?: string;
  /**
   * How it stood when its process's last snapshot was taken, read off its Worker in its parent
   * thread: 'running' (the Worker still alive, ref'd), 'unref' (alive, unref'd by its parent),
   * 'ended' (the Worker gone: it exited or was terminated), 'unknown' (no parent snapshot says).
   */
  status: 'running' | 'unref' | 'ended' | 'unknown';
  /** The thread that made its Worker (0: the main thread). */
  parent?: number;
}

/**
 * The three-snapshot leak set (memlab's method, on checkpoints of one process): objects
 * allocated after the first heap snapshot, alive in the second and still alive in the last,
 * grouped by what they are and by the path that holds them.
 */
export interface HeapLeakReport {
  /** The snapshots compared, in order: first (baseline), second (target), last (final). */
  snapshots: HeapSnapshotInfo[];
  /** Objects in the leak set, and the sum of their own sizes. */
  total: number;
  totalBytes: number;
  /** Largest first (by retained bytes when known, else own bytes). */
  groups: HeapLeakGroup[];
  /** What the reader had to say: snapshots it could not read, groups left out, … */
  notes: string[];
}

export interface HeapSnapshotInfo {
  /** `checkpoint 1`, `exit`, a user's checkpoint label, or the file name for `leakprof heap`. */
  label: string;
  /** Where the .heapsnapshot file is (kept with --heap-dir), or null when it was removed after reading. */
  file: string | null;
  /** Process uptime when it was taken, when known. */
  uptimeMs?: number;
  /** Node count and the sum of every node's own size. */
  nodes: number;
  bytes: number;
}

export interface HeapLeakGroup {
  /** The class or constructor (`ChannelEntry`), or V8's name for the kind (`(closure) onTick`, `(string)`, `Array`). */
  name: string;
  /** V8's node type: object, closure, array, string, code, hidden, … */
  nodeType: string;
  /**
   * Objects of the group in the leak set, and the sum of their own sizes: those no other leaked
   * object holds alone, and the ones of the same kind they hold (the rest of a chain).
   */
  count: number;
  selfBytes: number;
  /** What freeing them would free (dominator tree), when computed. */
  retainedBytes?: number;
  /** Most of the group is one chain: each object holds the next through this edge (`next`). */
  chain?: { edge: string };
  /** Every object of the group (or of its chains' heads) sits in this one collection or object (`Map`, `Array`, `Registry`). */
  collection?: { name: string; id: number };
  /** Objects with this name in each snapshot, in snapshot order: how the group grew. */
  countsBySnapshot: number[];
  /** The shortest path from a GC root to one object of the group, root first: who holds them. */
  retainerPath: HeapPathStep[];
  /** For a closure, or a class whose constructor's code is known: where the code is. */
  location?: { file: string; line: number; column: number };
  /** Heap snapshot ids (`@1234` in DevTools) of a few objects of the group. */
  examples: number[];
}

export interface HeapPathStep {
  /** The edge from the previous step into this node: a property name, `[3]`, or an internal name; empty for the root. */
  edge: string;
  /** V8's edge type: property, element, context, internal, hidden, shortcut, weak. */
  edgeType: string;
  /** The node's name as a person reads it (`Registry`, `Map`, `(module scope) fixtures/registry/leaky.mjs`). */
  node: string;
  nodeType: string;
  id: number;
  /** This step, with the `span - 1` steps after it, repeats this many times in a row on the path (a chain's `.next`): told once. */
  repeat?: number;
  span?: number;
  /** A placeholder for this many steps left out of a long path (edgeType `omitted`). */
  omitted?: number;
}

/**
 * What a profile is, as its source declared it: its name, what its items are called, its pprof
 * sample types, whether its items can hold the process open, how check judges it (absent: never),
 * and what to do about an item left alive. Every writer and the judge work from this, not the name.
 */
export interface ProfileDescriptor {
  name: string;
  item: string;
  sampleTypes: Array<{ type: string; unit: string; of: 'count' | 'bytes' }>;
  defaultSampleType?: string;
  holdsProcess: boolean;
  check?: { flag: string; limit: number; endsWithExitCall?: boolean };
  hint?: string;
  /** Made by the program with `profile()` from 'leakprof'. */
  user?: boolean;
}

/** The verdict's kind for heap growth over the memory series (`--max-heap-growth`): not the heap profile. */
export { HEAP_GROWTH } from '../transport/messages.js';

export interface ProfileReport {
  name: string;
  descriptor: ProfileDescriptor;
  total: number;
  /** heap profile: the bytes the groups hold, summed (total then counts objects). */
  totalBytes?: number;
  groups: GroupReport[];
}

export interface GroupReport {
  count: number;
  /** heap profile: live bytes allocated at this stack (an estimate: the heap profiler samples). */
  bytes?: number;
  /** The count is an estimate: the things were sampled (promises created faster than --promise-budget a second). */
  estimated?: boolean;
  /** With `estimated`: half the width of the estimate's 95% interval (count ± margin), from the samples' weights. */
  margin?: number;
  /** async_hooks type, such as Timeout, TCPWRAP, TCPSERVERWRAP, FSEVENTWRAP, PROCESSWRAP. */
  type: string;
  /** Type plus what sets this group apart: `Timeout 1000ms repeat`. */
  label: string;
  /** ref / unref for handles, pending for requests, object for a JavaScript AsyncResource (never keeps the loop alive). */
  state: string;
  ageMinMs: number;
  ageMaxMs: number;
  /** Keeps the event loop alive (ref'd handle, pending request). */
  keepsAlive: boolean;
  /** Created by Node or leakprof's runtime, not by the workload (no user frame anywhere): hidden by default. */
  internal: boolean;
  /** Why this kind is never a leak (stdio, DNS channel, histogram…), when it is not. */
  benign?: string;
  /** The test runner's or package manager's own (`vitest`, `npm`…): made in its files, with no frame of the user's. */
  tool?: string;
  hint?: string;
  /** Creation stack, innermost first; null when no stack was captured for this group. */
  frames: FrameReport[] | null;
  /** The innermost frame in the user's own code, if any. */
  top: FrameReport | null;
  /** The source text of `top`'s line. */
  source?: string;
  /** Go's "created by": when the stack has no user frame, the nearest ancestor (by async trigger) that has one. */
  createdBy?: { asyncId: number; frames: FrameReport[]; top: FrameReport | null };
  /** async profile: the promise at the far end of this chain of waits, the one nobody settles. */
  waitingOn?: { frames: FrameReport[]; top: FrameReport | null };
  /** Set when the group's count kept rising across the snapshots of --every. */
  growth?: GroupGrowth;
  /** With snapshots during the run (--every): the most of this group alive at once, in any snapshot. */
  peak?: number;
  entries: EntryReport[];
  /** The test (full path, `suite > test`) or hook whose code created this group, when a test runner ran it. */
  test?: string;
  /** A user profile's labels (`add(item, { labels })`), shared by every item of the group. */
  labels?: Record<string, string>;
}

export interface GroupGrowth {
  /** Things per second, first to last sample. */
  perSecond: number;
  from: number;
  to: number;
  overMs: number;
  samples: number;
}

export interface FrameReport {
  function: string;
  /** Relative to the working directory when inside it; node:… for Node's internals. */
  file: string;
  line: number;
  column: number;
  kind: 'user' | 'node' | 'dependency' | 'leakprof';
  async?: boolean;
  evalOrigin?: string;
}

export interface EntryReport {
  id: number;
  ageMs: number;
  trigger: number;
  details?: ResourceDetails;
}

export interface TypeSummary {
  type: string;
  live: number;
  ref: number;
  unref: number;
  oldestMs: number;
  created: number;
  stacked: number;
}

export interface CrossCheck {
  type: string;
  nodeName: string;
  collector: number;
  node: number;
}

/** `leakprof check`'s judgement of a report (present only in check's JSON). */
export interface Verdict {
  /** clean: nothing over a threshold; leak: something is; hang: ended by --timeout; failed: the workload exited non-zero. */
  status: 'clean' | 'leak' | 'hang' | 'failed';
  /** The exit code check leaves with: 0 clean, 1 leak, 124 hang, else the workload's own. */
  exitCode: number;
  /** One per group over its threshold, plus heap growth; each with its one-line message. */
  violations: Violation[];
  /** Live groups that did not count, and why (benign kind, unref'd, ignore rule, baseline, settled). */
  excluded: Exclusion[];
  /** Counted totals per kind against their limits. */
  totals: Array<{ kind: string; counted: number; limit: number | null; failOn: boolean; /** heap: what the growth verdict said, when it did not fail (`steady: …`, `not judged: …`). */ note?: string }>;
  /** When --baseline wrote a file instead of judging against one. */
  baselineWritten?: { file: string; groups: number; /** Set when the file could not be written after all (it was checked before the run). */ error?: string };
}

export interface Violation {
  /** A profile's name (handles, async, listeners, a user's own) or `heap-growth`. */
  kind: string;
  /** The (first) process it was seen in. */
  pid: number;
  /** Every process it was seen in, when more than one: one leak made alike in many processes is one violation. */
  pids?: number[];
  /** The worker threads it was seen in (Node's threadIds), when it was made inside threads. */
  threads?: number[];
  /** A group that kept growing during the run (--every), judged on its growth, not on what was left at the end. */
  growing?: boolean;
  /** The one line a person can act on. */
  message: string;
  count: number;
  type?: string;
  label?: string;
  state?: string;
  /** The top user frame, or the created-by frame, or the first library frame; for heap-growth, the line that allocated the leak set's top group (or, when no one line is certain, its allocating function's header). */
  location?: { file: string; line: number; column: number; function: string };
  /** The test that created it, when the runner's tests were attributed. */
  test?: string;
  /** Instead of `test`: every test it was made in, when one line made it in more than three. */
  tests?: string[];
  hint?: string;
  /** A heap violation's evidence: the post-GC series' trend (analyse/growth.ts computes it). */
  trend?: HeapTrend;
}

export interface Exclusion {
  kind: string;
  pid: number;
  count: number;
  type: string;
  label: string;
  state: string;
  location?: string;
  /** benign, unref, ignored, baseline, settled */
  why: 'benign' | 'unref' | 'ignored' | 'baseline' | 'settled' | 'internal' | 'runner' | 'holds-nothing' | 'exited' | 'unfinished' | 'inside';
  reason: string;
}

/** The heap-growth verdict over a process's samples after GC. */
export interface HeapTrend {
  verdict: 'growing' | 'steady' | 'too-few';
  /** Post-GC samples in the series, and how many of them were start-up. */
  samples: number;
  warmup: number;
  /** Samples in the judged stretch (end of start-up to the peak). */
  judged: number;
  /** Heap after GC at the end of start-up and at the peak, and the robust growth between them. */
  from: number;
  to: number;
  growth: number;
  /** Theil–Sen over the stretch's uptimes: bytes per second (said, never judged on). */
  perSecond: number;
  overMs: number;
  /** Mann–Kendall one-sided p of "it rises" over the stretch. */
  p: number;
  /** The last post-GC sample, when the heap fell back after the peak (released before the end). */
  releasedTo?: number;
  /** Why it is not growing, in a few words. */
  why?: string;
}
