/**
 * Prometheus-style input for the load driver: a fixed set of counter series, shaped like
 * VictoriaMetrics' aggregator benchmark (`http_requests_total{job="foo_<j%100>", path="/foo/<j>", …}`),
 * where `churnPerSec` series per second get a fresh `pod` value — the way pods get rescheduled — so
 * label cardinality keeps growing even though the number of live series stays fixed.
 */
import { mulberry32 } from './prng.js';
import { sortLabels, type Label, type Series } from './labels.js';

export interface SeriesGeneratorOptions {
  series: number;
  /** At least 3: `__name__`, `job` and the churning label; then `path`, then `label_<k>` fillers. */
  labelsPerSeries: number;
  churnPerSec: number;
  seed?: number;
  metricName?: string;
  churnLabel?: 'pod' | 'instance';
}

/** Distinct `job` values; also the number of output groups with `by: [job]`. */
export const JOBS = 100;

export class SeriesGenerator {
  private readonly labels: Label[][];
  private readonly churnSlot: number[];
  private readonly values: Float64Array;
  private readonly random: () => number;
  private readonly churnPerSec: number;
  private readonly churnLabel: string;
  private churnedCount = 0;

  constructor(options: SeriesGeneratorOptions) {
    const { series, labelsPerSeries, churnPerSec } = options;
    if (!Number.isInteger(series) || series <= 0) throw new Error(`series must be a positive integer, got ${series}`);
    if (!Number.isInteger(labelsPerSeries) || labelsPerSeries < 3) {
      throw new Error(`labelsPerSeries must be an integer ≥ 3 (__name__, job and the churning label), got ${labelsPerSeries}`);
    }
    if (!(churnPerSec >= 0)) throw new Error(`churnPerSec must be ≥ 0, got ${churnPerSec}`);
    this.random = mulberry32(options.seed ?? 1);
    this.churnPerSec = churnPerSec;
    this.churnLabel = options.churnLabel ?? 'pod';
    const metricName = options.metricName ?? 'http_requests_total';
    this.labels = [];
    this.churnSlot = [];
    for (let i = 0; i < series; i++) {
      const ls: Label[] = [
        { name: '__name__', value: metricName },
        { name: 'job', value: `foo_${i % JOBS}` },
        { name: this.churnLabel, value: `${this.churnLabel}-${i}-0` },
      ];
      if (labelsPerSeries >= 4) ls.push({ name: 'path', value: `/foo/${i}` });
      for (let k = 0; ls.length < labelsPerSeries; k++) ls.push({ name: `label_${k}`, value: `value_${k}_${i % 7}` });
      sortLabels(ls);
      this.churnSlot.push(ls.findIndex((l) => l.name === this.churnLabel));
      this.labels.push(ls);
    }
    this.values = new Float64Array(series);
  }

  get seriesCount(): number {
    return this.labels.length;
  }

  /** Fresh churn-label values handed out so far. */
  get churned(): number {
    return this.churnedCount;
  }

  /** Applies the churn due `elapsedMs` after the start; returns how many series got a new value. */
  advance(elapsedMs: number): number {
    const due = Math.floor((elapsedMs * this.churnPerSec) / 1000) - this.churnedCount;
    for (let n = 0; n < due; n++) {
      const i = Math.floor(this.random() * this.labels.length);
      const ls = this.labels[i]!;
      const slot = this.churnSlot[i]!;
      // A new object, so a batch already handed out keeps its old labels.
      ls[slot] = { name: this.churnLabel, value: `${this.churnLabel}-${i}-${++this.churnedCount}` };
    }
    return Math.max(0, due);
  }

  /** One sample per series at `timestamp`; counters grow by 1–10 per call. */
  batch(timestamp: number): Series[] {
    const out: Series[] = new Array(this.labels.length);
    for (let i = 0; i < this.labels.length; i++) {
      this.values[i]! += 1 + Math.floor(this.random() * 10);
      out[i] = { labels: this.labels[i]!.slice(), samples: [{ value: this.values[i]!, timestamp }] };
    }
    return out;
  }
}
