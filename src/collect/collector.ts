/**
 * The collector of one process: the resource table, its stacks, and the snapshots it
 * writes to the spool at exit, on request (a signal from leakprof), on SIGINT/SIGTERM,
 * and as a heartbeat so a blocked process still leaves its last state behind.
 */
import type { CollectorConfig, SnapshotMessage, SnapshotReason } from '../transport/messages.js';
import { WIRE_VERSION } from '../transport/messages.js';
import { SpoolWriter } from '../transport/spool-writer.js';
import { exitHow } from './exit-how.js';
import { forceGc } from './force-gc.js';
import { MemorySeries } from './memory-series.js';
import { asOwn } from './own-activity.js';
import { ResourceTable } from './resource-table.js';
import { startResourceSource, type ResourceSource } from './resource-source.js';
import { buildSnapshot, type ProfileSource, type SnapshotContext } from './snapshot.js';
import { startPromiseSource } from './promise-source.js';
import { PromiseTable } from './promise-table.js';
import { startListenerSource } from './listener-source.js';
import { ListenerTable } from './listener-table.js';
import { StackTable } from './stack-table.js';
import { HeapProfile } from './heap-profile.js';
import { HeapCheckpoints } from './heap-checkpoints.js';
import { startTimerSource } from './timer-source.js';

export class Collector {
  readonly stacks: StackTable;
  readonly table: ResourceTable;
  readonly promises: PromiseTable | undefined;
  readonly listeners: ListenerTable | undefined;
  readonly heapProfile: HeapProfile | undefined;
  /** With --heap: heap snapshots at checkpoints (set once the collector is wired to its spool). */
  heapCheckpoints: HeapCheckpoints | undefined;
  private readonly stops: (() => void)[] = [];
  private readonly ctx: SnapshotContext;
  readonly memory = new MemorySeries();

  constructor(private readonly config: Omit<CollectorConfig, 'spool'>) {
    this.stacks = new StackTable(config.stackDepth);
    this.table = new ResourceTable(this.stacks, config.stackMode, config.stackBudget);
    const source: ResourceSource = startResourceSource(this.table);
    this.table.boundary = source.boundary;
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
  }

  /** Moves whenever something tracked was made or went away: the heartbeat writes only then. */
  get changes(): number {
    return this.table.changes + (this.promises?.changes ?? 0) + (this.listeners?.changes ?? 0);
  }

  snapshot(reason: SnapshotReason, extra: Partial<SnapshotMessage> = {}): SnapshotMessage {
    this.ctx.seq++;
    const notes = [this.heapProfile?.failure, this.heapCheckpoints?.failure].filter((n): n is string => n !== undefined);
    return asOwn(() => buildSnapshot(this.ctx, reason, { memorySamples: [...this.memory.samples], ...(notes.length > 0 ? { notes } : {}), ...extra }));
  }

  /**
   * The exit snapshot. No waiting is possible in an 'exit' handler, so check mode settles
   * what it can synchronously: a full GC first (resources freed only on collection are gone,
   * heapUsed is live data), then one memory sample after it.
   */
  exitSnapshot(exitCode: number): SnapshotMessage {
    const how = exitHow();
    this.memory.add(this.collectGarbage());
    return this.snapshot('exit', { exitCode, exitHow: how });
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

/** Wires a collector to the spool and to the process's lifecycle. Called once, from the preload. */
export function attachToSpool(config: CollectorConfig): Collector {
  const collector = new Collector(config);
  const writer = new SpoolWriter(config.spool, process.pid);
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
    },
  });

  if (config.heap) {
    collector.heapCheckpoints = new HeapCheckpoints(config.heapDir || config.spool, (message) => writer.append(message));
    collector.heapCheckpoints.schedule(config.heapSnapshots);
  }

  process.on('exit', (code) => {
    writer.append(collector.exitSnapshot(code));
    // After the report's data is safe: the last heap snapshot can take a while.
    collector.heapCheckpoints?.final('exit');
  });

  asOwn(() => {
    process.on(config.signal as NodeJS.Signals, () => writer.append(collector.snapshot('request')));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const onSignal = (): void => {
        writer.append(collector.signalSnapshot(signal));
        collector.heapCheckpoints?.final(signal);
        // Only ours: restore the default action (end the process) as if we had never listened.
        if (process.listenerCount(signal) === 1) {
          process.removeListener(signal, onSignal);
          process.kill(process.pid, signal);
        }
      };
      process.on(signal, onSignal);
    }
    let seen = -1;
    const heartbeat = setInterval(() => {
      collector.table.tick();
      collector.memory.add(false);
      collector.promises?.tick();
      if (collector.changes === seen) return;
      seen = collector.changes;
      writer.writeLatest(collector.snapshot('heartbeat'));
    }, config.heartbeatMs);
    heartbeat.unref();
  });
  return collector;
}
