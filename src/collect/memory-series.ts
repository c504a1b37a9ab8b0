/**
 * A bounded memory series: one sample at collector start, one per heartbeat, one at the
 * exit snapshot. When full, every other sample after the first is dropped, so the series
 * keeps its start and stays evenly spread over the whole run at a fixed cost.
 */
import type { WireMemorySample } from '../transport/messages.js';

const MAX_SAMPLES = 240;

export class MemorySeries {
  readonly samples: WireMemorySample[] = [];

  add(gc: boolean): void {
    const usage = process.memoryUsage();
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
