/**
 * What crosses from an instrumented process (the child) to leakprof (the parent).
 *
 * The child appends one JSON message per line to `<spool>/<pid>.ndjson` and, as a
 * heartbeat, rewrites `<spool>/<pid>.latest.json` with its newest snapshot so that a
 * process whose event loop is blocked still leaves something to report. The parent asks
 * for snapshots through `<spool>/requests` (requests.ts).
 *
 * The model follows pprof: a profile is a named set of samples; a sample is a stack
 * plus labels (type, state, …) and a count. Later profiles (async, listeners, heap)
 * are more instances of the same shape.
 */

/**
 * 2: every profile carries its descriptor (what it is, how it is judged); samples may carry a profile's own labels.
 * 3: stacks are sent once (a StacksMessage before the snapshot that first needs them); heartbeats may be `kept` snapshots.
 */
export const WIRE_VERSION = 3;

/** One frame of a creation stack, as V8 reported it (mapped through source maps when the process had them). */
export interface WireFrame {
  /** Function name as V8 prints it (`Aggregator.start`, `<anonymous>`). */
  fn: string;
  /** Absolute path, `file://` URL, `node:…` specifier, or `<eval>` / `evalmachine.<anonymous>`. */
  file: string;
  line: number;
  col: number;
  /** Set when the frame came from an `await` continuation (V8 async stack trace). */
  async?: boolean;
  /** Set when the code was compiled by eval / vm: where the eval was called. */
  evalOrigin?: string;
}

/** Per-resource detail, like Go's `[chan send, 10 minutes]`: only what Node exposes for the type. */
export type WireDetails = Record<string, string | number | boolean>;

/** One live thing (handle, timer, request, promise…), for `--debug 2`. */
export interface WireEntry {
  id: number;
  ageMs: number;
  /** async id of the resource whose callback created this one. */
  trigger: number;
  details?: WireDetails;
}

/** One group: every live thing of one kind, state and creation stack. */
export interface WireSample {
  /** async_hooks type (`Timeout`, `TCPWRAP`, `FSREQCALLBACK`, …) or a profile's own kind. */
  type: string;
  /** Type with what distinguishes it in a report: `Timeout 1000ms repeat`, `TCPSERVERWRAP`. */
  label: string;
  /** `ref` or `unref` for handles, `pending` for requests and promises. */
  state: string;
  /** Index into `stacks`, or -1 when no stack was captured (sampled out, or `--stacks none`). */
  stack: number;
  /** When `stack` holds no user frame: the stack of the nearest ancestor (by trigger) that does; else -1. */
  createdBy: number;
  /** async id of that ancestor (Go's "created by … in goroutine N"). */
  createdByAsync: number;
  /** async profile: the stack of the promise this chain of waits ends at (the one nobody settles); absent when untracked. */
  waitingOn?: number;
  count: number;
  /** heap profile: the live bytes the things hold. */
  bytes?: number;
  /** The count is an estimate: the things were sampled, each sample standing for several. */
  estimated?: boolean;
  /** With `estimated`: the estimate's variance (count²), from the samples' weights. */
  variance?: number;
  ageMinMs: number;
  ageMaxMs: number;
  /** Individual things, at most `maxEntries` per snapshot across all samples. */
  entries: WireEntry[];
  /** The test (full path, `suite > test`) or hook whose code created them, when a test runner ran them. */
  test?: string;
  /** A user profile's labels (`add(item, { labels })`), the same for every thing of the group. */
  labels?: Record<string, string>;
}

/** A profile's name, as it names a flag (`--max-db-connections`): lower case, digits and dashes. */
export const PROFILE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** check's kind for heap growth over the memory series (`--max-heap-growth`): not a profile, and no profile's name. */
export const HEAP_GROWTH = 'heap-growth';

/**
 * What a profile is, declared once by its source (`HANDLES_PROFILE` in resource-table.ts, a
 * user's `profile('db-connections')`) and carried with every snapshot of it: analyse, the
 * writers and check's judge read this, never the profile's name.
 */
export interface WireProfileDescriptor {
  /** `handles`, `async`, `db-connections`: lower case, digits and dashes (it names a flag, `--max-<name>`). */
  name: string;
  /** What one item is called (`handle`, `task`, `listener`, `allocation`, `item`). */
  item: string;
  /** The pprof sample types, in order, each read from a group's `count` or `bytes`. */
  sampleTypes: Array<{ type: string; unit: string; of: 'count' | 'bytes' }>;
  /** The sample type pprof shows first (the first when absent). */
  defaultSampleType?: string;
  /** Its items can hold the process open (a ref'd handle, a pending request); judged on that, --strict adds unref'd ones. */
  holdsProcess: boolean;
  /** How `check` judges it; absent: reported, never judged (the heap profile: heap growth is judged on the memory series). */
  check?: {
    /** The flag that sets its limit (`max-handles`); `--max <name>=<n>` sets it too. */
    flag: string;
    /** Items allowed when no flag says otherwise. */
    limit: number;
    /** Items still pending when the process called process.exit() do not count: the code waiting on them stopped with it. */
    endsWithExitCall?: boolean;
  };
  /** What to do about an item left alive, when nothing more precise is known of it (`hint: …` in the text). */
  hint?: string;
  /** A user's own profile (made with `profile()` from 'leakprof'). */
  user?: boolean;
}

export interface WireProfile {
  name: string;
  descriptor: WireProfileDescriptor;
  /** Exact number of live things in this profile (samples may hold fewer entries). */
  total: number;
  /** heap profile: the live bytes of all samples. */
  totalBytes?: number;
  samples: WireSample[];
}

/** Exact per-type bookkeeping, kept for every resource whether or not it got a stack. */
export interface WireTypeCount {
  created: number;
  live: number;
  /** How many creations got a stack. */
  stacked: number;
}

export interface WireMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** One point of the memory series a collector keeps (every heartbeat, and at start and exit). */
export interface WireMemorySample {
  /** Process uptime, ms. */
  t: number;
  heapUsed: number;
  rss: number;
  /** Taken right after a forced garbage collection (check mode), so heapUsed is what is really held. */
  gc?: boolean;
}

export interface WireProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
  cwd: string;
  nodeVersion: string;
  /** Epoch ms when the collector started in this process. */
  startedAt: number;
  /** The heap's limit (bytes): the old generation's when --max-old-space-size was given, else V8's heap_size_limit. */
  heapLimit?: number;
  /** Set in a worker thread: its collector speaks for the thread, not the process (pid is the process's). */
  thread?: WireThread;
}

/** A worker thread of a process: Node's threadId (the WORKER handle's in its parent thread) and the script it runs. */
export interface WireThread {
  id: number;
  /** The worker's script (its process.argv[1]), or '' for an eval'd one. */
  file: string;
  /** The OS thread it runs on (Linux, /proc/thread-self): while /proc/<pid>/task/<tid> exists, it runs. */
  tid?: number;
}

/**
 * The state of a socket that holds no file descriptor: made, never connected (a connect still
 * waiting for its lookup) or already let go. It keeps no process alive and holds nothing.
 */
export const UNOPENED = 'unopened';

export type ExitHow = 'natural' | 'exit-call' | 'fatal';

export type SnapshotReason = 'exit' | 'signal' | 'request' | 'heartbeat' | 'every' | 'start';

export interface HelloMessage {
  kind: 'hello';
  v: number;
  process: WireProcessInfo;
  stackMode: StackMode;
}

export interface SnapshotMessage {
  kind: 'snapshot';
  v: number;
  pid: number;
  /** Set in a worker thread: Node's threadId. */
  threadId?: number;
  seq: number;
  reason: SnapshotReason;
  /** For reason 'exit': the exit code the process is leaving with. For 'signal': the signal name. */
  exitCode?: number;
  /**
   * For reason 'exit': how the process got there. 'natural': its event loop ran empty (nothing
   * kept it alive); 'exit-call': it called process.exit(); 'fatal': an uncaught error ended it.
   */
  exitHow?: ExitHow;
  signal?: string;
  /** For reason 'request': the request number the parent asked for. */
  request?: number;
  time: number;
  uptimeMs: number;
  stackMode: StackMode;
  /**
   * Stacks referenced by samples, indexed by the ids the samples use. On the spool, only those
   * its process had not sent before (StacksMessage); the reader fills in the rest.
   */
  stacks: Record<string, WireFrame[]>;
  profiles: WireProfile[];
  typeCounts: Record<string, WireTypeCount>;
  /** `process.getActiveResourcesInfo()` counted by name, for a cross-check. */
  active: Record<string, number>;
  memory: WireMemory;
  /** Entries left out because of `maxEntries`. */
  droppedEntries: number;
  /**
   * The handles profile came from groups kept as resources were made and ended (heartbeats and
   * periodic requests), not from a look at each one now: labels and states are those each had
   * when first seen, and `active` (Node's own list, as long as what is alive) is left empty.
   */
  kept?: true;
  /**
   * Resources that were on their way out when the snapshot was taken, not counted as alive:
   * `closing` (its owner closed it, the destroy event had not arrived), `collected` (freed by GC).
   */
  settled?: Array<{ type: string; stack: number; why: 'closing' | 'collected'; count: number }>;
  /** The memory series so far, oldest first (first sample at collector start); bounded, thinned evenly when long. */
  memorySamples?: WireMemorySample[];
  /** The fds profile's cross-check: descriptors it attributes, and (Linux, main thread) all the process has open per /proc/self/fd. */
  fdCounts?: { tracked: number; open?: number };
  /** With promise tracking: exact counts, so a report can say how much of the profile had stacks. */
  promiseCounts?: { created: number; settled: number; stacked: number; abandoned: number; sampled: boolean };
  /** The test runner whose process this is (node:test, mocha, jest, vitest), when leakprof recognised one. */
  testRunner?: string;
  /** Warnings about tests (a test clearing a timer it did not make): they go to the process's notes. */
  testNotes?: string[];
  /** What the collector could not do (the heap profile would not start, a heap snapshot failed): the process's notes. */
  notes?: string[];
}

/** A heap snapshot the process wrote at a checkpoint (--heap): the parent reads it after the run. */
export interface HeapSnapshotMessage {
  kind: 'heap-snapshot';
  v: number;
  pid: number;
  /** 1, 2, 3…: the order the process took them in. */
  seq: number;
  /** `checkpoint 1`, `exit`, or the label given to checkpoint(). */
  label: string;
  /** Absolute path of the .heapsnapshot file. */
  file: string;
  uptimeMs: number;
  /** How long writing it stopped the process: leakprof's own time, which the parent adds to --timeout. */
  tookMs?: number;
}

/**
 * Stacks a process sends once each, on its log, before the first snapshot that points at them: a
 * snapshot on the spool carries only the stacks not sent before, and the reader gives every
 * snapshot of the process all of them (the parent reads the heartbeat file before the log, so a
 * heartbeat never points at a stack it has not read).
 */
export interface StacksMessage {
  kind: 'stacks';
  v: number;
  pid: number;
  stacks: Record<string, WireFrame[]>;
}

export type ChildMessage = HelloMessage | SnapshotMessage | HeapSnapshotMessage | StacksMessage;

export type StackMode = 'auto' | 'all' | 'none';

/** What the parent tells every instrumented process, through the environment. */
export interface CollectorConfig {
  spool: string;
  stackMode: StackMode;
  stackDepth: number;
  /** Stacks per second the sampled kinds may capture in `auto` mode (a token bucket). */
  stackBudget: number;
  heartbeatMs: number;
  maxEntries: number;
  /** Track promises (v8 promise hooks): the `async` profile of pending promises and parked awaits. */
  promises: boolean;
  /** Promise creation stacks per second; above it promises are sampled and async counts are estimates. */
  promiseBudget: number;
  /** Track EventEmitter / EventTarget listeners: the `listeners` profile. */
  listeners: boolean;
  /** Track file descriptors opened through node:fs (open/openSync, streams, fs.promises.open): the `fds` profile. */
  fds: boolean;
  /** A (target, event) pair is watched once it holds more listeners than this. */
  listenerThreshold: number;
  /**
   * Check mode: collect garbage before the first memory sample and before the exit snapshot,
   * so heap growth is measured on live data and resources freed only by GC are not blamed.
   */
  gc: boolean;
  /**
   * The heap-growth verdict's series (check --max-heap-growth): a full GC forced after V8's own
   * GCs, within a fifth of the process's CPU, and a sample after it (memory-series.ts GcSampler).
   * Also on with --heap. Off: V8's own full GCs are the samples.
   */
  gcSamples: boolean;
  /** The heap profile: live allocations by stack, from V8's sampling heap profiler. */
  heap: boolean;
  /** Average bytes between two sampled allocations (V8's sampling interval). */
  heapInterval: number;
  /**
   * Process uptimes (ms) at which to write a heap snapshot (checkpoints), one more at exit
   * once any was written; the parent computes the three-snapshot leak set from them. Empty: none.
   */
  heapSnapshots: number[];
  /** Where heap snapshots are written (the spool unless --heap-dir). */
  heapDir: string;
  /**
   * check --heap: checkpoints on growth instead of at uptimes: one each time the heap after GC
   * has grown this many bytes past the last (three at most, and the exit one only when fewer
   * were taken), so a leak released at shutdown is caught in the snapshots while it grows. 0: off.
   */
  heapGrowthStep: number;
}

export const DEFAULT_COLLECTOR_CONFIG: Omit<CollectorConfig, 'spool'> = {
  stackMode: 'auto',
  stackDepth: 16,
  stackBudget: 2000,
  heartbeatMs: 1000,
  maxEntries: 5000,
  promises: false,
  promiseBudget: 20000,
  listeners: false,
  fds: true,
  listenerThreshold: 10,
  gc: false,
  gcSamples: false,
  heap: false,
  heapInterval: 64 * 1024,
  heapSnapshots: [],
  heapDir: '',
  heapGrowthStep: 0,
};
