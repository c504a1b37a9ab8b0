/** The memory trend of a run as one line: heap after GC over time as a sparkline, and its slope. */
import type { MemorySample } from '../workload/memory-slope.js';
import { formatBytes } from '../util/bytes.js';

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => BARS[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}

export function renderMemoryTrend(samples: MemorySample[], slopeBytesPerMin: number): string {
  const heap = samples.map((s) => s.heapUsed);
  if (heap.length === 0) return 'memory: no samples';
  const first = heap[0]!;
  const last = heap[heap.length - 1]!;
  return `memory: heap after GC ${formatBytes(first)} → ${formatBytes(last)} ${sparkline(heap)} (${slopeBytesPerMin >= 0 ? '+' : ''}${formatBytes(slopeBytesPerMin)}/min)`;
}
