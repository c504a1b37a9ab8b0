/** Outputs over the mean and spread: `avg`, and `stddev`/`stdvar` by Welford's online algorithm (population variance, as VictoriaMetrics). */
import type { OutputEmit, OutputState } from './output-state.js';

export class AvgState implements OutputState {
  private sum = 0;
  private count = 0;
  push(_inputKey: string, value: number): void {
    this.sum += value;
    this.count++;
  }
  flush(emit: OutputEmit): void {
    if (this.count > 0) emit('avg', this.sum / this.count);
    this.sum = 0;
    this.count = 0;
  }
}

export class StdState implements OutputState {
  private count = 0;
  private mean = 0;
  private m2 = 0;
  constructor(private readonly kind: 'stddev' | 'stdvar') {}
  push(_inputKey: string, value: number): void {
    this.count++;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
  }
  flush(emit: OutputEmit): void {
    if (this.count > 0) {
      const variance = this.m2 / this.count;
      emit(this.kind, this.kind === 'stddev' ? Math.sqrt(variance) : variance);
    }
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
  }
}
