/** The contract between the aggregator and one output (spec 1.7): per output key, one state per configured output. */
import type { Label } from '../labels.js';

/** Emits one aggregated value; `suffix` is the output name (`total`, `quantiles`, …). */
export type OutputEmit = (suffix: string, value: number, extraLabel?: Label) => void;

export interface OutputState {
  /** `inputKey` identifies the input series inside the output group (needed by total/increase/count_series). */
  push(inputKey: string, value: number, timestamp: number, deleteDeadline: number): void;
  /** Emits the interval's value(s) and resets for the next interval. */
  flush(emit: OutputEmit, flushTimestamp: number, isLast: boolean): void;
}

/** What the aggregator knows that some outputs need. */
export interface OutputContext {
  now(): number;
  /** Before this time (ms) total/increase drop a series' first sample: it may be mid-counter after a restart. */
  ignoreFirstSampleDeadline: number;
}

export interface OutputFactory {
  /** The name as configured, e.g. `quantiles(0.5, 0.99)`. */
  readonly name: string;
  create(ctx: OutputContext): OutputState;
}
