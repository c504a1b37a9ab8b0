/**
 * The collector of this process, for the verification API. Under leakprof (run/check) the
 * preload made one before any user code ran: use it. Otherwise (a plain `node --test` that
 * imports leakprof) start one here, without a spool, on first use — resources created before
 * that have no record, and are seen only as counts through process.getActiveResourcesInfo().
 */
import { buildProcessReport } from '../analyse/build-report.js';
import { Collector } from '../collect/collector.js';
import { nodeNameOf, typeOfNodeName } from '../analyse/resource-types.js';
import type { GroupReport, ProcessReport } from '../report/schema.js';
import { DEFAULT_COLLECTOR_CONFIG, UNOPENED, WIRE_VERSION, type SnapshotMessage } from '../transport/messages.js';

const marker = Symbol.for('leakprof.collector');

/** Label suffix of groups made before the in-process collector started. */
export const UNTRACKED = '(made before tracking)';

interface CollectorLike {
  snapshot(reason: 'request'): SnapshotMessage;
  /** With --promises: how many promises were made so far (their records' ids count up from it). */
  readonly promises?: { readonly created: number };
}

interface Tracking {
  collector: CollectorLike;
  /** False when this module started the collector late (not through the preload). */
  fromStart: boolean;
  startedAt: number;
}

let tracking: Tracking | undefined;

export function processCollector(): Tracking {
  if (tracking) return tracking;
  const globals = globalThis as Record<symbol, unknown>;
  const existing = globals[marker] as CollectorLike | undefined;
  if (existing && typeof existing.snapshot === 'function') {
    tracking = { collector: existing, fromStart: true, startedAt: Date.now() - Math.round(performance.now()) };
  } else {
    const collector = new Collector({ ...DEFAULT_COLLECTOR_CONFIG });
    globals[marker] = collector;
    tracking = { collector, fromStart: false, startedAt: Date.now() };
  }
  return tracking;
}

/** The id the next tracked promise will be above: promises made from now on have greater ids. */
export function promisesMadeSoFar(): number {
  return processCollector().collector.promises?.created ?? 0;
}

/** Starts tracking now (what `import 'leakprof/register'` does), so later resources get stacks. */
export function startTracking(): void {
  processCollector();
}

/** What is alive in this process now, as the JSON report's processes[] entry. */
export function snapshotProcess(): ProcessReport {
  const t = processCollector();
  const snap = t.collector.snapshot('request');
  const report = buildProcessReport(
    {
      pid: process.pid,
      hello: {
        kind: 'hello',
        v: WIRE_VERSION,
        stackMode: snap.stackMode,
        process: { pid: process.pid, ppid: process.ppid, argv: process.argv, execArgv: process.execArgv, cwd: process.cwd(), nodeVersion: process.version, startedAt: t.startedAt },
      },
      snapshots: [snap],
      heapSnapshots: [],
      latest: undefined,
      corruptLines: 0,
    },
    { cwd: process.cwd() },
  )!;
  if (!t.fromStart) addUntracked(report);
  return report;
}

/** Node's own stdio and the like: present before any collector, never the test's. */
const NEVER_UNTRACKED = new Set(['TTYWRAP', 'PIPEWRAP', 'FSEVENTWRAP', 'SIGNALWRAP']);

/**
 * Resources alive since before the collector started: process.getActiveResourcesInfo()
 * counts more of a kind than the collector tracks. They become groups without a stack.
 */
function addUntracked(report: ProcessReport): void {
  const handles = report.profiles.find((p) => p.descriptor.holdsProcess);
  if (!handles) return;
  const snapActive = new Map<string, number>();
  try {
    for (const name of process.getActiveResourcesInfo()) snapActive.set(name, (snapActive.get(name) ?? 0) + 1);
  } catch {
    return;
  }
  for (const [name, node] of snapActive) {
    const type = typeOfNodeName(name);
    if (!type || NEVER_UNTRACKED.has(type) || !nodeNameOf(type)) continue;
    // Node counts a socket by its ref flag, file descriptor or not: an unopened one is ours too.
    const ours = handles.groups.filter((g) => g.type === type && (g.keepsAlive || g.state === UNOPENED)).reduce((n, g) => n + g.count, 0);
    if (node <= ours) continue;
    const group: GroupReport = {
      count: node - ours,
      type,
      label: `${type} ${UNTRACKED}`,
      state: 'ref',
      ageMinMs: 0,
      ageMaxMs: 0,
      keepsAlive: true,
      internal: false,
      frames: null,
      top: null,
      entries: [],
      hint: 'alive since before leakprof started tracking, so it has no creation stack: import leakprof (or `node --import leakprof/register`) before the code under test, or run under `leakprof check`',
    };
    handles.groups.push(group);
    handles.total += group.count;
  }
}
