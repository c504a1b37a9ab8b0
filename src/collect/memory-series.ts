/**
 * A bounded memory series: one sample at collector start, one per heartbeat, one at the
 * exit snapshot. When full, every other sample after the first is dropped, so the series
 * keeps its start and stays evenly spread over the whole run at a fixed cost.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
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
