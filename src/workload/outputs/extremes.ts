/** Outputs that keep one sample: `last`, `min`, `max`. */
import type { OutputEmit, OutputState } from './output-state.js';

export class LastState implements OutputState {
  private last = 0;
  private timestamp = 0;
  push(_inputKey: string, value: number, timestamp: number): void {
    if (timestamp >= this.timestamp) {
      this.last = value;
      this.timestamp = timestamp;
    }
  }
  flush(emit: OutputEmit): void {
    if (this.timestamp > 0) emit('last', this.last);
    this.timestamp = 0;
  }
}

export class MinState implements OutputState {
  private min = 0;
  private defined = false;
  push(_inputKey: string, value: number): void {
    if (!this.defined || value < this.min) this.min = value;
    this.defined = true;
  }
  flush(emit: OutputEmit): void {
    if (this.defined) emit('min', this.min);
    this.defined = false;
  }
}

export class MaxState implements OutputState {
  private max = 0;
  private defined = false;
  push(_inputKey: string, value: number): void {
    if (!this.defined || value > this.max) this.max = value;
    this.defined = true;
  }
  flush(emit: OutputEmit): void {
    if (this.defined) emit('max', this.max);
    this.defined = false;
  }
}
