/**
 * Which promises get a creation stack. A stack costs 1-5 µs and a promise about 0.1 µs,
 * so a flood of promises (a million awaits) cannot have one each; a program making fewer
 * than `perSecond` promises a second gets every one, and its counts are exact.
 *
 * Above that, sampling is random with a mean interval adapted to the creation rate (as
 * pprof samples allocations), and each sample stands for the promises of its interval:
 * counts become unbiased estimates, marked as such in the report. Random intervals, not
 * every n-th promise, so a program that makes its promises in a fixed pattern is not
 * aliased into always or never sampling one kind.
 */
const ADAPT_EVERY = 128;

export class PromiseSampler {
  /** Promises to let pass before the next sample (the hot path only decrements it). */
  countdown = 1;
  private interval = 1;
  private mean = 1;
  private samples = 0;
  private createdAtAdapt = 0;
  private timeAtAdapt = performance.now();

  constructor(private readonly perSecond: number) {}

  /** Called when the countdown ran out: the weight of this sample (the promises it stands for). */
  take(created: number): number {
    const weight = this.interval;
    if (++this.samples % ADAPT_EVERY === 0) this.adapt(created);
    this.interval = this.draw();
    this.countdown = this.interval;
    return weight;
  }

  /** Also called by the heartbeat, so the rate is relearnt when a flood ends and few samples come. */
  adapt(created: number): void {
    const now = performance.now();
    const elapsed = now - this.timeAtAdapt;
    if (elapsed <= 0) return;
    const rate = ((created - this.createdAtAdapt) * 1000) / elapsed;
    this.mean = Math.max(1, rate / this.perSecond);
    this.createdAtAdapt = created;
    this.timeAtAdapt = now;
    if (this.mean === 1) this.countdown = Math.min(this.countdown, 1);
  }

  private draw(): number {
    if (this.mean <= 1) return 1;
    // Geometric with mean `mean`: the gap to the next sample when each promise is taken with probability 1/mean.
    return 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - 1 / this.mean));
  }
}
