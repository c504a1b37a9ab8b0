/**
 * The stream aggregator (spec 1.5, VictoriaMetrics' lib/streamaggr): groups pushed samples by output
 * labels, feeds each group's outputs, and every interval emits `metric:1m_by_job_total`-style series.
 * Group and series identities are compressed label keys, so the compressor is where label churn lands.
 *
 * Deliberate leak (the `leaky` variant, the default when the compressor is leaky): `stop()` forgets to
 * unregister from the compressor and leaves the flush interval running, which keeps the process alive
 * and keeps this aggregator and its compressor reachable.
 */
import type { CompressorVariant, LabelsCompressor } from './labels-compressor.js';
import { resolveAggregatorConfig, type AggregatorConfig, type ResolvedAggregatorConfig } from './aggregator-config.js';
import type { OutputEmit, OutputState } from './outputs/output-state.js';
import { DedupAggr, type DedupSample } from './dedup.js';
import { bytesToKey, keyToBytes, METRIC_NAME_LABEL, sortLabels, type Label, type Series } from './labels.js';
import { appendUvarint, readUvarint } from './varint.js';

export type PushFunc = (series: Series[]) => void;

export interface AggregatorOptions {
  compressor: LabelsCompressor;
  pushFunc: PushFunc;
  /** Clock in ms; tests inject one. */
  now?: () => number;
  /** Whose `stop()` to run; defaults to the compressor's variant. */
  variant?: CompressorVariant;
  /** false: no flush timer; tests call flush()/dedupFlush() themselves. */
  startFlusher?: boolean;
}

export interface AggregatorStats {
  samplesPushed: number;
  seriesFlushed: number;
  flushes: number;
  /** Output keys that no longer decompressed at flush time (a freed label slot); skipped. */
  useAfterEvict: number;
}

interface Entry {
  states: OutputState[];
  /** -1 once a flush deleted the entry as stale. */
  deleteDeadline: number;
}

const PUSH_BATCH = 10_000;

export class Aggregator {
  readonly config: ResolvedAggregatorConfig;
  readonly variant: CompressorVariant;
  readonly stats: AggregatorStats = { samplesPushed: 0, seriesFlushed: 0, flushes: 0, useAfterEvict: 0 };

  private readonly compressor: LabelsCompressor;
  private readonly pushFunc: PushFunc;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly dedup: DedupAggr | undefined;
  private readonly bySet: Set<string>;
  private readonly withoutSet: Set<string>;
  private readonly ignoreFirstSampleDeadline: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private stopped = false;

  constructor(cfg: AggregatorConfig, options: AggregatorOptions) {
    this.config = resolveAggregatorConfig(cfg);
    this.compressor = options.compressor;
    this.pushFunc = options.pushFunc;
    this.now = options.now ?? Date.now;
    this.variant = options.variant ?? options.compressor.variant;
    this.dedup = this.config.dedupIntervalMs > 0 ? new DedupAggr() : undefined;
    this.bySet = new Set(this.config.by);
    this.withoutSet = new Set(this.config.without);
    this.ignoreFirstSampleDeadline = this.now() + this.config.stalenessMs;

    this.compressor.register(this.config.stalenessMs);
    if (options.startFlusher !== false) this.startFlusher();
  }

  /** Output groups currently held. */
  get entriesCount(): number {
    return this.entries.size;
  }

  get flusherRunning(): boolean {
    return this.flushTimer !== undefined;
  }

  push(series: readonly Series[]): void {
    if (this.stopped) return;
    const now = this.now();
    const deleteDeadline = now + this.config.stalenessMs;
    const outBuf: number[] = [];
    const inBuf: number[] = [];
    for (const ts of series) {
      const labels = sortLabels(ts.labels.slice());
      if (labels.length === 0) continue;
      const [outputLabels, inputLabels] = this.split(labels);
      outBuf.length = 0;
      inBuf.length = 0;
      this.compressor.appendCompressed(outBuf, outputLabels);
      this.compressor.appendCompressed(inBuf, inputLabels);
      const outputKey = bytesToKey(outBuf);
      const inputKey = bytesToKey(inBuf);
      let dedupKey: string | undefined;
      for (const s of ts.samples) {
        if (Number.isNaN(s.value)) continue;
        this.stats.samplesPushed++;
        if (this.dedup) {
          dedupKey ??= dedupKeyOf(outBuf.length, outputKey, inputKey);
          this.dedup.pushOne(dedupKey, s.value, s.timestamp);
        } else {
          this.pushToOutputs(outputKey, inputKey, s.value, s.timestamp, deleteDeadline);
        }
      }
    }
  }

  private split(labels: Label[]): [Label[], Label[]] {
    if (this.config.aggregateOnlyByTime) return [labels, []];
    const out: Label[] = [];
    const rest: Label[] = [];
    const byMode = this.bySet.size > 0;
    for (const l of labels) {
      const isOutput = byMode ? this.bySet.has(l.name) : !this.withoutSet.has(l.name);
      (isOutput ? out : rest).push(l);
    }
    return [out, rest];
  }

  private pushToOutputs(outputKey: string, inputKey: string, value: number, timestamp: number, deleteDeadline: number): void {
    let entry = this.entries.get(outputKey);
    if (entry === undefined) {
      const ctx = { now: this.now, ignoreFirstSampleDeadline: this.ignoreFirstSampleDeadline };
      entry = { states: this.config.outputs.map((f) => f.create(ctx)), deleteDeadline };
      this.entries.set(outputKey, entry);
    }
    for (const state of entry.states) state.push(inputKey, value, timestamp, deleteDeadline);
    entry.deleteDeadline = deleteDeadline;
  }

  /** Hands the dedup stage's samples to the outputs; with dedup, the whole key is the input key. */
  dedupFlush(): void {
    if (!this.dedup) return;
    const deleteDeadline = this.now() + this.config.stalenessMs;
    this.dedup.flush((batch: DedupSample[]) => {
      for (const s of batch) {
        const outputKey = outputKeyOfDedupKey(s.key);
        this.pushToOutputs(outputKey, s.key, s.value, s.timestamp, deleteDeadline);
      }
    });
  }

  /** Emits every group's outputs at the current time and drops groups not pushed within the staleness interval. */
  flush(): void {
    this.flushState(false, this.pushFunc);
  }

  private flushState(isLast: boolean, pushFunc: PushFunc | undefined): void {
    const flushTimestamp = this.now();
    this.stats.flushes++;
    let batch: Series[] = [];
    const { keepMetricNames, suffix } = this.config;
    for (const [outputKey, entry] of this.entries) {
      if (flushTimestamp > entry.deleteDeadline) {
        entry.deleteDeadline = -1;
        this.entries.delete(outputKey);
        continue;
      }
      let base: Label[] | undefined | null;
      const emit: OutputEmit = (outputName, value, extraLabel) => {
        if (base === undefined) {
          try {
            base = this.compressor.decompress(keyToBytes(outputKey));
          } catch {
            base = null;
            this.stats.useAfterEvict++;
          }
        }
        if (base === null || !pushFunc) return;
        const labels = base.map((l) => ({ name: l.name, value: l.value }));
        if (!keepMetricNames) addMetricSuffix(labels, suffix + outputName);
        if (extraLabel) labels.push(extraLabel);
        batch.push({ labels, samples: [{ value, timestamp: flushTimestamp }] });
        if (batch.length >= PUSH_BATCH) {
          this.stats.seriesFlushed += batch.length;
          pushFunc(batch);
          batch = [];
        }
      };
      for (const state of entry.states) state.flush(emit, flushTimestamp, isLast);
      if (isLast) this.entries.delete(outputKey);
    }
    if (batch.length > 0 && pushFunc) {
      this.stats.seriesFlushed += batch.length;
      pushFunc(batch);
    }
  }

  private startFlusher(): void {
    const tickMs = this.config.dedupIntervalMs || this.config.intervalMs;
    const ticksPerFlush = this.config.intervalMs / tickMs;
    // The flusher's interval: cleared by the fixed stop(), left running by the leaky one.
    this.flushTimer = setInterval(() => this.onTick(ticksPerFlush), tickMs);
  }

  private onTick(ticksPerFlush: number): void {
    this.dedupFlush();
    if (++this.ticks % ticksPerFlush === 0) this.flush();
  }

  /** Stops flushing; the final flush is pushed only with `flushOnShutdown`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.variant === 'fixed') {
      this.compressor.unregister(this.config.stalenessMs);
      clearInterval(this.flushTimer);
      this.flushTimer = undefined;
    }
    // LEAK (leaky variant, deliberate): no unregister, no clearInterval — the flusher ticks on forever.
    this.dedupFlush();
    this.flushState(true, this.config.flushOnShutdown ? this.pushFunc : undefined);
  }
}

function dedupKeyOf(outKeyLength: number, outputKey: string, inputKey: string): string {
  const head: number[] = [];
  appendUvarint(head, outKeyLength);
  return bytesToKey(head) + outputKey + inputKey;
}

function outputKeyOfDedupKey(key: string): string {
  const head = readUvarint(keyToBytes(key.slice(0, 10)), 0);
  return key.slice(head.next, head.next + head.value);
}

/** Appends `suffix` to `__name__`, adding the label when the group has none (Go's addMetricSuffix). */
function addMetricSuffix(labels: Label[], suffix: string): void {
  for (const l of labels) {
    if (l.name === METRIC_NAME_LABEL) {
      l.value += suffix;
      return;
    }
  }
  labels.push({ name: METRIC_NAME_LABEL, value: suffix });
}
