/**
 * The collector of one process: the resource table, its stacks, and the snapshots it
 * writes to the spool at exit, on request (leakprof's requests file, polled by the heartbeat),
 * and as a heartbeat so a blocked or killed process still leaves its last state behind.
 */
import type { CollectorConfig, SnapshotMessage, SnapshotReason } from '../transport/messages.js';
import { WIRE_VERSION } from '../transport/messages.js';
import { getHeapStatistics } from 'node:v8';
import { readlinkSync } from 'node:fs';
import { REQUEST_POLL_MS, RequestWatcher } from '../transport/requests.js';
import { SpoolWriter } from '../transport/spool-writer.js';
import { exitHow } from './exit-how.js';
import { forceGc } from './force-gc.js';
import { GcSampler, MemorySeries } from './memory-series.js';
import { asOwn } from './own-activity.js';
import { HANDLES_PROFILE, ResourceTable } from './resource-table.js';
import { startResourceSource, type ResourceSource } from './resource-source.js';
import { buildSnapshot, freezeStates, type ProfileSource, type SnapshotContext } from './snapshot.js';
import { startPromiseSource } from './promise-source.js';
import { PromiseTable } from './promise-table.js';
import { startListenerSource } from './listener-source.js';
import { ListenerTable } from './listener-table.js';
import { FdTable } from './fd-profile.js';
import { StackTable, type RawStack } from './stack-table.js';
import { HeapProfile } from './heap-profile.js';
import { HeapCheckpoints } from './heap-checkpoints.js';
import { HandleGroups } from './handle-groups.js';
import { startTimerSource } from './timer-source.js';
import { isRunnerWorker } from './runners/index.js';
import { checkProfileName, publishProfileHost, UserProfileTable, type ProfileOptions } from './user-profile.js';
import { isMainThread, threadId } from 'node:worker_threads';
import { answerThreadEnd, askBeforeTerminate } from './thread-ends.js';

interface EarlyResources {
  take(): Map<number, { type: string; trigger: number; resource: object; stack: object; at: number }>;
}

/** What early-hooks.cjs recorded before the collector started (--require'd modules), its hook stopped; empty without it. */
function takeEarlyResources(): ReturnType<EarlyResources['take']> {
  const early = (globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.early')] as EarlyResources | undefined;
  return early ? early.take() : new Map();
}

export class Collector {
  readonly stacks: StackTable;
  readonly table: ResourceTable;
  readonly promises: PromiseTable | undefined;
  readonly listeners: ListenerTable | undefined;
  readonly fds: FdTable | undefined;
  readonly heapProfile: HeapProfile | undefined;
  /** With --heap: heap snapshots at checkpoints (set once the collector is wired to its spool). */
  heapCheckpoints: HeapCheckpoints | undefined;
  private readonly stops: (() => void)[] = [];
  private readonly ctx: SnapshotContext;
  /** Users' own profiles (`profile()` from 'leakprof'), by name. */
  private readonly userProfiles = new Map<string, UserProfileTable>();
  /** Sources added after the start (users' profiles, addProfile): their changes count for the heartbeat. */
  private readonly added: ProfileSource[] = [];
  readonly memory = new MemorySeries();

  constructor(private readonly config: Omit<CollectorConfig, 'spool'>) {
    this.stacks = new StackTable(config.stackDepth);
    this.table = new ResourceTable(this.stacks, config.stackMode, config.stackBudget);
    // The early hook goes before ours starts: both enabled at once would switch Node's promise tracking on for good.
    const early = takeEarlyResources();
    const source: ResourceSource = startResourceSource(this.table);
    this.table.boundary = source.boundary;
    for (const [asyncId, r] of early) this.table.adopt(asyncId, r.type, r.trigger, r.resource, r.stack as RawStack, r.at);
    early.clear();
    this.stops.push(() => source.stop());
    if (config.stackMode === 'all') {
      const timerSource = startTimerSource(this.table, config.stackDepth);
      this.stops.push(() => timerSource.stop());
    }
    const profiles: ProfileSource[] = [];
    if (config.promises) {
      this.promises = new PromiseTable(this.stacks, config.promiseBudget);
      const promiseSource = startPromiseSource(this.promises);
      this.promises.boundary = promiseSource.boundary;
      this.stops.push(() => promiseSource.stop());
      profiles.push(this.promises);
    }
    if (config.listeners) {
      this.listeners = new ListenerTable(this.stacks, config.listenerThreshold, config.stackBudget);
      const listenerSource = startListenerSource(this.listeners);
      this.stops.push(() => listenerSource.stop());
      profiles.push(this.listeners);
    }
    if (config.fds) {
      const fds = new FdTable(this.stacks, config.stackMode, config.stackBudget);
      fds.start();
      this.fds = fds;
      this.stops.push(() => fds.stop());
      profiles.push(fds);
    }
    if (config.heap) {
      this.heapProfile = new HeapProfile(this.stacks, config.heapInterval, config.stackDepth);
      this.heapProfile.start();
      const heapProfile = this.heapProfile;
      this.stops.push(() => heapProfile.stop());
      profiles.push(heapProfile);
    }
    this.ctx = { table: this.table, profiles, stacks: this.stacks, stackMode: config.stackMode, maxEntries: config.maxEntries, seq: 0 };
    // The heap-growth baseline: cheap here, the heap is still small when the preload runs.
    this.memory.add(config.gc === true && forceGc());
    // Users' profiles (profile() from 'leakprof', any copy of it) find this collector from now on.
    publishProfileHost(this);
    // The heap-growth verdict's series: samples after GC, paced by the workload's allocation;
    // forced GCs when heap growth is judged and under --heap (already a heavy mode), V8's own otherwise.
    const sampler = new GcSampler(this.memory, config.gcSamples || config.heap ? forceGc : undefined);
    if (config.heapGrowthStep > 0) sampler.onSample = (heapUsed) => this.heapCheckpoints?.onHeapAfterGc(heapUsed, config.heapGrowthStep);
    asOwn(() => sampler.start());
    this.stops.push(() => sampler.stop());
  }

  /** Moves whenever something tracked was made or went away: the heartbeat writes only then. */
  get changes(): number {
    let changes = this.table.changes + (this.promises?.changes ?? 0) + (this.listeners?.changes ?? 0) + (this.fds?.changes ?? 0);
    for (const p of this.added) changes += p.changes ?? 0;
    return changes;
  }

  /**
   * A profile more: one source file that declares its descriptor and folds its live things is
   * all a new profile takes — the report, the writers and check's judge read the descriptor.
   */
  addProfile(source: ProfileSource): void {
    if (this.ctx.profiles!.some((p) => p.descriptor.name === source.descriptor.name) || source.descriptor.name === HANDLES_PROFILE.name) {
      throw new Error(`leakprof: a profile named "${source.descriptor.name}" is there already`);
    }
    this.ctx.profiles!.push(source);
    this.added.push(source);
  }

  /** A user's profile by name, made on first use: reached through the process's global by every copy of leakprof's `profile()`. */
  userProfile(name: string, options: ProfileOptions = {}): UserProfileTable {
    let table = this.userProfiles.get(name);
    if (table === undefined) {
      checkProfileName(name);
      table = new UserProfileTable(name, options, this.stacks);
      this.addProfile(table);
      this.userProfiles.set(name, table);
    }
    return table;
  }

  /** Keeps the handles profile as resources come and go, for heartbeats and periodic requests (the spool's collector only: nothing else sends them). */
  keepHandleGroups(): void {
    this.ctx.handleGroups ??= new HandleGroups(this.table);
  }

  /**
   * `walk`: look at every live resource as it is now (exit, a signal, a last request, the in-process
   * API); else the handles come from the groups kept as they changed (heartbeats, --every's requests).
   */
  snapshot(reason: SnapshotReason, extra: Partial<SnapshotMessage> = {}, walk = reason !== 'heartbeat'): SnapshotMessage {
    this.ctx.seq++;
    const notes = [this.heapProfile?.failure, this.heapCheckpoints?.failure].filter((n): n is string => n !== undefined);
    const thread = isMainThread ? {} : { threadId };
    return asOwn(() => buildSnapshot(this.ctx, reason, { ...thread, memorySamples: [...this.memory.samples], ...(notes.length > 0 ? { notes } : {}), ...extra }, walk));
  }

  /**
   * The exit snapshot. No waiting is possible in an 'exit' handler, so check mode settles
   * what it can synchronously: a full GC first (resources freed only on collection are gone,
   * heapUsed is live data), then one memory sample after it.
   */
  exitSnapshot(exitCode: number, gc = true): SnapshotMessage {
    const how = exitHow();
    this.memory.add(gc && this.collectGarbage());
    return this.snapshot('exit', { exitCode, exitHow: how });
  }

  freezeStates(): void {
    freezeStates(this.ctx);
  }

  /** A signal's snapshot (a --timeout's SIGTERM, a Ctrl-C): in check mode after a GC too, so a parked promise is one still reachable. */
  signalSnapshot(signal: string): SnapshotMessage {
    if (this.promises) this.collectGarbage();
    return this.snapshot('signal', { signal });
  }

  /** Check mode's full GC; the promises' unread stacks go first, as they hold what their frames ran on. */
  private collectGarbage(): boolean {
    if (this.config.gc !== true) return false;
    asOwn(() => this.promises?.releaseStacks());
    return forceGc();
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}

/**
 * Keeps `listener` the last of the process's 'exit' listeners: after one of the program's is
 * added, it moves to the end once the current job is done (a listener added in the same job as
 * the exit stays after it; the exit snapshot then takes no GC).
 */
function keepLast(listener: (code: number) => void): void {
  let moving = false;
  process.on('newListener', (event: string | symbol, added: unknown) => {
    if (event !== 'exit' || added === listener || moving) return;
    moving = true;
    asOwn(() =>
      queueMicrotask(() => {
        moving = false;
        asOwn(() => {
          process.removeListener('exit', listener);
          process.on('exit', listener);
        });
      }),
    );
  });
}

/** The OS thread this worker runs on (Linux), so leakprof can tell a running thread from an ended one. */
function osThread(): { tid?: number } {
  try {
    const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
    return Number.isInteger(tid) && tid > 0 ? { tid } : {};
  } catch {
    return {};
  }
}

/**
 * What "out of memory" is measured against: the old generation's limit when the process was
 * given one (`--max-old-space-size`; V8's heap_size_limit adds the young generation, 98 MB for
 * 50 on Node 20 and 242 MB on Node 24), else V8's whole limit.
 */
function heapLimit(): number {
  const whole = getHeapStatistics().heap_size_limit;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ');
  const old = /--max[-_]old[-_]space[-_]size[= ](\d+)/.exec(flags);
  return old ? Math.min(whole, Number(old[1]) * 1024 * 1024) : whole;
}

/**
 * Wires a collector to the spool and to the process's lifecycle. Called once, from the preload.
 * It listens to no signal (but SIGTERM in a test runner's worker, which its runner ends so): the
 * workload's signals keep their default actions and its own handlers. Leakprof asks for snapshots through the spool (polled by the heartbeat), and asks
 * once more before it forwards a signal; a process killed without answering (Ctrl-C at a
 * terminal, SIGKILL, out of memory) is reported from its last heartbeat, marked as such.
 */
export function attachToSpool(config: CollectorConfig): Collector {
  // A worker thread is reported as its own section: the same collector, files of its own. It
  // has no heap checkpoints (a process's), gets no signal, and its 'exit' never comes when it
  // is terminated or its process ends: its heartbeat writes at every poll that saw a change.
  if (!isMainThread) config = { ...config, heap: false, heapSnapshots: [], heartbeatMs: Math.min(config.heartbeatMs, REQUEST_POLL_MS) };
  const collector = new Collector(config);
  collector.keepHandleGroups();
  const writer = new SpoolWriter(config.spool, process.pid, isMainThread ? undefined : threadId);
  writer.append({
    kind: 'hello',
    v: WIRE_VERSION,
    stackMode: config.stackMode,
    process: {
      pid: process.pid,
      ppid: process.ppid,
      argv: process.argv,
      execArgv: process.execArgv,
      cwd: process.cwd(),
      nodeVersion: process.version,
      startedAt: Date.now(),
      heapLimit: heapLimit(),
      ...(isMainThread ? {} : { thread: { id: threadId, file: process.argv[1] ?? '', ...osThread() } }),
    },
  });

  if (config.heap) {
    collector.heapCheckpoints = new HeapCheckpoints(config.heapDir || config.spool, (message) => writer.append(message));
    collector.heapCheckpoints.schedule(config.heapSnapshots);
  }

  const onExit = (code: number): void =>
    asOwn(() => {
      // A GC (check mode's, a heap snapshot's) collects what only WeakRefs hold: a program whose own
      // exit listener flushes through a WeakRef (pino's on-exit-leak-free) would lose its output if
      // it ran before that listener. So it runs only when this is the last 'exit' listener.
      const all = process.listeners('exit');
      const last = all[all.length - 1] === onExit;
      writer.append(collector.exitSnapshot(code, last));
      // After the report's data is safe: the last heap snapshot can take a while.
      if (last) collector.heapCheckpoints?.final('exit');
    });
  // First: how things stood when the exit began (the program's exit listeners may change it).
  process.on('exit', () => asOwn(() => collector.freezeStates()));
  process.on('exit', onExit);
  asOwn(() => keepLast(onExit));

  // Threads: a terminated worker writes its last snapshot when its parent's terminate() asks (thread-ends.ts),
  // and no heartbeat after it: the thread ends next, and a later heartbeat would stand in for its last snapshot
  // (seen under load: one written 18 ms after the answer made a leaking test thread "unfinished", never judged).
  let answeredEnd = false;
  answerThreadEnd(() =>
    asOwn(() => {
      writer.append(collector.signalSnapshot('terminate()'));
      answeredEnd = true;
    }),
  );
  askBeforeTerminate();

  if (isMainThread && isRunnerWorker()) {
    asOwn(() => {
      // Its runner's SIGTERM (runners/index.ts): the last snapshot, then the default action, as if no one had listened.
      const onTerm = (): void => {
        asOwn(() => writer.append(collector.signalSnapshot('SIGTERM')));
        collector.heapCheckpoints?.final('SIGTERM');
        if (process.listenerCount('SIGTERM') === 1) {
          process.removeListener('SIGTERM', onTerm);
          process.kill(process.pid, 'SIGTERM');
        }
      };
      process.on('SIGTERM', onTerm);
    });
  }

  asOwn(() => {
    const requests = new RequestWatcher(config.spool);
    let seen = -1;
    // The heartbeat also writes when the heap passes its high-water mark by a tenth, so a
    // process that dies of a growing heap (out of memory) leaves its memory series nearly to the end.
    let heapMark = 0;
    const pollMs = Math.min(config.heartbeatMs, REQUEST_POLL_MS);
    // The first heartbeat a heartbeat in, as before: one at the first tick cost every short run a snapshot.
    let sinceBeat = 0;
    // Its own file work (the requests file, the spool) inside asOwn: the fds profile and the resource table never see it, nor count it as a change.
    const beat = (): void => {
      if (answeredEnd) return;
      const request = requests.poll();
      sinceBeat += pollMs;
      if (!request && sinceBeat < config.heartbeatMs) return;
      sinceBeat = 0;
      collector.table.tick();
      collector.memory.add(false);
      collector.promises?.tick();
      if (request) {
        // Before it is ended: the last heap snapshot first, so the parent waits for both.
        if (request.final) collector.heapCheckpoints?.final(request.final, true);
        const signal = request.final?.startsWith('SIG') ? request.final : undefined;
        // A periodic request (--every, SIGUSR2 to leakprof) costs what changed since the last; the last one before an end walks.
        writer.append(collector.snapshot(signal ? 'signal' : 'request', { request: request.number, ...(signal ? { signal } : {}) }, request.final !== undefined));
        // The answer holds this state: no heartbeat needs to write it again (a newer heartbeat would stand in for the answer).
        seen = collector.changes;
        return;
      }
      const heapUsed = collector.memory.samples[collector.memory.samples.length - 1]?.heapUsed ?? 0;
      if (collector.changes === seen && heapUsed <= heapMark) return;
      seen = collector.changes;
      if (heapUsed > heapMark) heapMark = Math.round(heapUsed * 1.1);
      writer.writeLatest(collector.snapshot('heartbeat'));
    };
    const heartbeat = setInterval(() => asOwn(beat), pollMs);
    heartbeat.unref();
  });
  return collector;
}
