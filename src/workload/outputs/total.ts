/**
 * `total`, `increase` and their `_prometheus` twins: counters summed across the input series of a
 * group, handling resets. `increase*` restart from 0 each flush; `total*` carry on. The `_prometheus`
 * variants never count a new series' first sample; the others do once the startup window has passed.
 */
import type { OutputContext, OutputEmit, OutputState } from './output-state.js';

interface LastValue {
  value: number;
  timestamp: number;
  deleteDeadline: number;
}

/** Past 2^53 float64 stops counting single units, so the running total restarts. */
const MAX_EXACT_TOTAL = 2 ** 53;

export class TotalState implements OutputState {
  private total = 0;
  private readonly lastValues = new Map<string, LastValue>();

  constructor(
    private readonly suffix: string,
    private readonly resetTotalOnFlush: boolean,
    private readonly keepFirstSample: boolean,
    private readonly ctx: OutputContext,
  ) {}

  push(inputKey: string, value: number, timestamp: number, deleteDeadline: number): void {
    const keepFirst = this.keepFirstSample && this.ctx.now() >= this.ctx.ignoreFirstSampleDeadline;
    let lv = this.lastValues.get(inputKey);
    if (lv !== undefined || keepFirst) {
      const last = lv ?? { value: 0, timestamp: 0, deleteDeadline: 0 };
      if (timestamp < last.timestamp) return; // out of order
      this.total += value >= last.value ? value - last.value : value; // else a counter reset
    }
    if (lv === undefined) {
      lv = { value, timestamp, deleteDeadline };
      this.lastValues.set(inputKey, lv);
    } else {
      lv.value = value;
      lv.timestamp = timestamp;
      lv.deleteDeadline = deleteDeadline;
    }
  }

  flush(emit: OutputEmit, flushTimestamp: number, isLast: boolean): void {
    const total = this.total;
    for (const [key, lv] of this.lastValues) {
      if (isLast || flushTimestamp > lv.deleteDeadline) this.lastValues.delete(key);
    }
    this.total = this.resetTotalOnFlush || Math.abs(total) >= MAX_EXACT_TOTAL ? 0 : total;
    emit(this.suffix, total);
  }
}

export function totalFactory(name: 'total' | 'total_prometheus' | 'increase' | 'increase_prometheus') {
  const isIncrease = name.startsWith('increase');
  const isPrometheus = name.endsWith('_prometheus');
  return {
    name,
    create: (ctx: OutputContext): OutputState => new TotalState(name, isIncrease, !isPrometheus, ctx),
  };
}
