/**
 * A bounded memory series: one sample at collector start, one per heartbeat, one at the
 * exit snapshot. When full, every other sample after the first is dropped, so the series
 * keeps its start and stays evenly spread over the whole run at a fixed cost.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import type { WireMemory, WireMemorySample } from '../transport/messages.js';

const MAX_SAMPLES = 240;

export class MemorySeries {
  readonly samples: WireMemorySample[] = [];

  add(gc: boolean): void {
    const usage = memoryNow();
    const sample: WireMemorySample = { t: Math.round(performance.now()), heapUsed: usage.heapUsed, rss: usage.rss };
    if (gc) sample.gc = true;
    if (this.samples.length >= MAX_SAMPLES) {
      const kept = this.samples.filter((_, i) => i === 0 || i % 2 === 1);
      this.samples.length = 0;
      this.samples.push(...kept);
    }
    this.samples.push(sample);
  }
}

/**
 * process.memoryUsage(), unless the workload closed one of fds 0-2 (daemon style): then libuv's
 * RSS reading would open /proc/self/stat onto that free number and abort the process when it
 * closes it (`fd > STDERR_FILENO`). Then the heap comes from V8 and RSS from /proc/self/statm
 * through fs, whose close has no such check; arrayBuffers is not known there.
 */
export function memoryNow(): WireMemory {
  if (stdioOpen()) return process.memoryUsage();
  const heap = getHeapStatistics();
  return { rss: statmRss(), heapTotal: heap.total_heap_size, heapUsed: heap.used_heap_size, external: heap.external_memory ?? 0, arrayBuffers: 0 };
}

function stdioOpen(): boolean {
  for (let fd = 0; fd <= 2; fd++) {
    try {
      fstatSync(fd);
    } catch {
      return false;
    }
  }
  return true;
}

const PAGE = 4096;

function statmRss(): number {
  try {
    return Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1] ?? 0) * PAGE;
  } catch {
    return 0;
  }
}

/** Leakprof's forced GCs may cost at most this share of the process's CPU time, plus FREE_US. */
const GC_BUDGET = 0.2;
const FREE_US = 50_000;

/**
 * Samples after GC, paced by the workload's own allocation. With forced GCs allowed (check
 * mode): after a GC of V8's own (a scavenge every few MB allocated), a full GC is forced and
 * the heap sampled, as long as leakprof's forced GCs have cost under a fifth of the process's
 * CPU time so far. Both sides of that budget are this process's CPU time, so how many samples
 * a run gets follows its work, not the machine's speed or load. Without: V8's own full GCs,
 * sampled when their event arrives (close after them).
 */
export class GcSampler {
  private observer: PerformanceObserver | undefined;
  private forcedUs = 0;
  /** Whether a GC of V8's own came since the last sample. */
  private pending = false;

  /** Told each heap size after GC (check --heap's checkpoints on growth). */
  onSample: ((heapUsed: number) => void) | undefined;

  constructor(
    private readonly series: MemorySeries,
    private readonly forceGc: (() => boolean) | undefined,
  ) {}

  start(): void {
    this.observer = new PerformanceObserver((list) => this.onGc(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private onGc(entries: PerformanceEntry[]): void {
    let major = false;
    for (const entry of entries) {
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
      if (((detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) continue;
      this.pending = true;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major = true;
    }
    if (!this.pending) return;
    if (!this.forceGc) {
      this.pending = false;
      if (major) this.sample(true);
      return;
    }
    const cpu = cpuUs();
    if (this.forcedUs > cpu * GC_BUDGET + FREE_US) return;
    this.pending = false;
    const collected = this.forceGc();
    this.forcedUs += cpuUs() - cpu;
    this.sample(collected);
  }

  private sample(afterGc: boolean): void {
    this.series.add(afterGc);
    if (afterGc) this.onSample?.(this.series.samples[this.series.samples.length - 1]!.heapUsed);
  }
}

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
