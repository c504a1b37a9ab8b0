/** Outputs that count or sum: `count_samples`, `count_series`, `sum_samples`. */
import type { OutputEmit, OutputState } from './output-state.js';

export class CountSamplesState implements OutputState {
  private count = 0;
  push(): void {
    this.count++;
  }
  flush(emit: OutputEmit): void {
    if (this.count > 0) emit('count_samples', this.count);
    this.count = 0;
  }
}

/** Distinct input series seen in the interval. */
export class CountSeriesState implements OutputState {
  private readonly seen = new Set<string>();
  push(inputKey: string): void {
    this.seen.add(inputKey);
  }
  flush(emit: OutputEmit): void {
    if (this.seen.size > 0) emit('count_series', this.seen.size);
    this.seen.clear();
  }
}

/** Always emits, 0 included, as VictoriaMetrics does. */
export class SumSamplesState implements OutputState {
  private sum = 0;
  push(_inputKey: string, value: number): void {
    this.sum += value;
  }
  flush(emit: OutputEmit): void {
    emit('sum_samples', this.sum);
    this.sum = 0;
  }
}
