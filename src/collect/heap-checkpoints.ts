/**
 * Heap snapshots at checkpoints (`--heap`): at the uptimes the parent asked for, when the
 * workload calls `checkpoint()`, and a last one when the process ends once any was taken.
 * The parent compares the first, second and last (the three-snapshot leak set): objects
 * allocated after the first checkpoint and still alive at the end. V8 keeps an object's
 * snapshot id for its whole life, which is what lets three snapshots be compared.
 *
 * Writing a snapshot stops the process for a while (about a second per 100 MB of heap) and
 * needs memory of about the heap's size again; that is why they are taken at a few
 * checkpoints only.
 */
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { HeapSnapshotMessage } from '../transport/messages.js';
import { WIRE_VERSION } from '../transport/messages.js';
import { asOwn } from './own-activity.js';

/**
 * What the last snapshot may take: the parent waits 15 s for a last snapshot under --heap
 * (run-workload's FINAL_HEAP_WAIT_MS), and the report's own last snapshot comes with it.
 */
const LAST_SNAPSHOT_BUDGET_MS = 12_000;
/** Before any snapshot was timed: a second per 50 MB of heap (twice the rate of an idle machine). */
const DEFAULT_MS_PER_BYTE = 1000 / 50e6;

/** Checkpoints on growth: the three the leak set compares. */
const GROWTH_CHECKPOINTS = 3;

export class HeapCheckpoints {
  private taken = 0;
  /** Checkpoints taken on growth, and the heap after GC the next one waits for. */
  private grown = 0;
  private level: number | undefined;
  /** The writing rate of this process's latest snapshot (the machine's load now), ms per byte of heap. */
  private msPerByte = DEFAULT_MS_PER_BYTE;
  private timers: NodeJS.Timeout[] = [];
  private finished = false;
  /** Why a snapshot could not be written (disk full, …), for the report. */
  failure: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly send: (message: HeapSnapshotMessage) => void,
    /** What the last snapshot may take (LAST_SNAPSHOT_BUDGET_MS; smaller in tests). */
    private readonly lastBudgetMs = LAST_SNAPSHOT_BUDGET_MS,
  ) {}

  /** Schedules the timed checkpoints (unref'd: they never keep the workload alive). */
  schedule(uptimesMs: number[]): void {
    asOwn(() => {
      for (const at of uptimesMs) {
        const timer = setTimeout(() => this.take(`checkpoint ${this.taken + 1}`), Math.max(0, at - performance.now()));
        timer.unref();
        this.timers.push(timer);
      }
    });
  }

  get count(): number {
    return this.taken;
  }

  /** Writes one snapshot now and tells the parent where it is (and how long it took). */
  take(label: string): string | undefined {
    return asOwn(() => {
      const seq = this.taken + 1;
      const file = join(this.dir, `${process.pid}-${seq}.heapsnapshot`);
      const heap = getHeapStatistics().used_heap_size;
      const started = performance.now();
      try {
        writeHeapSnapshot(file);
      } catch (error) {
        this.failure = `heap snapshot ${seq} (${label}) could not be written: ${(error as Error).message}`;
        return undefined;
      }
      const tookMs = Math.round(performance.now() - started);
      if (heap > 0) this.msPerByte = tookMs / heap;
      this.taken = seq;
      this.send({ kind: 'heap-snapshot', v: WIRE_VERSION, pid: process.pid, seq, label, file, uptimeMs: Math.round(performance.now()), tookMs });
      return file;
    });
  }

  /**
   * The last snapshot, within budget: skipped, with a note for the report, when the heap's size
   * at this process's latest writing rate (or a second per 50 MB before any) says it would not
   * be written before the parent stops waiting: a process killed mid-write would lose it and
   * its report's last state with it.
   */
  private takeLast(label: string): void {
    const heap = getHeapStatistics().used_heap_size;
    const estimateMs = heap * this.msPerByte;
    if (estimateMs > this.lastBudgetMs) {
      this.failure = `heap snapshot at ${label} skipped: the heap (${Math.round(heap / 1e6)} MB) would take about ${(estimateMs / 1000).toFixed(1)} s to write, more than the ${(this.lastBudgetMs / 1000).toFixed(1)} s leakprof waits for it; the leak set compares the snapshots taken before`;
      return;
    }
    this.take(label);
  }

  /**
   * Checkpoints on growth (check --heap): called with each heap size after GC; a snapshot each
   * time it passed the last one's by `step`, three at most. A leak released before the end is
   * then in the snapshots while it grows; start-up growth may take some too, which the growth
   * verdict (not these snapshots) decides on.
   */
  onHeapAfterGc(heapUsed: number, step: number): void {
    if (this.finished || this.grown >= GROWTH_CHECKPOINTS) return;
    this.level ??= heapUsed + step;
    if (heapUsed < this.level) return;
    if (this.take(`grown ${this.grown + 1}`) === undefined) return;
    this.grown++;
    this.level = heapUsed + step;
  }

  /**
   * The final snapshot, when the process ends: only once a checkpoint was taken, so a short run
   * pays nothing; not after three on growth (a leak released at the end would hide the one they
   * caught). `budgeted` when leakprof asked for it (--timeout, a signal) and waits for it only so
   * long; a process exiting by itself is waited for.
   */
  final(label: string, budgeted = false): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    if (this.taken === 0 || this.grown >= GROWTH_CHECKPOINTS) return;
    if (budgeted) this.takeLast(label);
    else this.take(label);
  }
}

/**
 * The workload's own checkpoint (`import { checkpoint } from 'leakprof'`): under
 * `leakprof run --heap` it writes a heap snapshot now and returns its path; anywhere else
 * it does nothing and returns undefined, so it can stay in the code. Call it at the points
 * where the heap should be back to the same state (after a batch of requests, a test).
 */
export function checkpoint(label?: string): string | undefined {
  const collector = (globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.collector')] as { heapCheckpoints?: HeapCheckpoints } | undefined;
  const checkpoints = collector?.heapCheckpoints;
  if (!checkpoints) return undefined;
  return checkpoints.take(label ?? `checkpoint ${checkpoints.count + 1}`);
}
