/** The memory trend of a run as one line: heap after GC over time as a sparkline, and its slope. */
import type { MemorySample } from '../util/memory-slope.js';
import type { ChalkInstance } from 'chalk';
import type { WireMemorySample } from '../transport/messages.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import { memorySlope } from '../util/memory-slope.js';
import { heapTrend, trendEvidence } from '../analyse/growth.js';

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

/**
 * A run report's memory line: heapUsed over the process's life (collector start, every
 * heartbeat, samples after GC, exit), as a sparkline with its least-squares slope, then what the
 * growth verdict (analyse/growth.ts) says of the samples after GC: `growing` (in red) only when
 * it does, with its evidence. Only for runs long enough to have a trend (three samples or more).
 */
export function renderMemoryLine(samples: WireMemorySample[], c: ChalkInstance, heapProfiled = false): string | undefined {
  if (samples.length < 3) return undefined;
  const heap = samples.map((s) => s.heapUsed);
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const perMin = memorySlope(samples.map((s) => ({ tMs: s.t, heapUsed: s.heapUsed })));
  const line = `memory: heapUsed ${formatBytes(first.heapUsed)} → ${formatBytes(last.heapUsed)} ${sparkline(heap)} over ${formatDuration(last.t - first.t)} (${perMin >= 0 ? '+' : ''}${formatBytes(perMin)}/min, rss ${formatBytes(last.rss)})`;
  const trend = heapTrend(samples);
  if (trend.verdict === 'growing') {
    const released = trend.releasedTo !== undefined ? `, released before the end (back to ${formatBytes(trend.releasedTo)})` : '';
    return c.red(`${line}: growing +${formatBytes(trend.growth)} after start-up (+${formatBytes(trend.perSecond)}/s; ${trendEvidence(trend)})${released}${heapProfiled ? '' : '; --heap shows what holds it'}`);
  }
  return c.dim(`${line}: ${trend.verdict === 'too-few' ? `not judged (${trend.why})` : `steady (${trend.why}; ${trend.samples} samples after GC)`}`);
}
