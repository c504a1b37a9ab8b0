/**
 * Which promises get a creation stack. A stack with its record costs 5-10 µs and a promise
 * a few ns, so a flood of promises (a million awaits) cannot have one each. The budget is
 * `perSecond` stacks of nominal cost (STACK_US) a second, charged
 * by what the captures really take (inside a long `.then` chain V8 walks the whole chain to take one: 100 µs
 * and more), with half a second's worth in hand: a program that spends less gets every
 * promise, and its counts are exact.
 *
 * Beyond that, chains are sampled, not promises: a promise with no parent (`new Promise`,
 * an async function's own) is taken with probability 1/mean, and a promise that waits on
 * a taken one (its await, its `.then`) is always taken, with the same weight; one that
 * waits on a promise not taken is not. So a chain is seen whole or not at all, and the
 * folding that makes one group of a parked chain works the same in sampled and exact
 * mode. Each sample weighs 1/p (Horvitz-Thompson), so counts are unbiased estimates, and
 * the spread of an estimate is known from the weights (`varianceOf`). Random gaps, not
 * every n-th promise, so a program that makes its promises in a fixed pattern is not
 * aliased into always or never sampling one kind.
 */
const ADAPT_EVERY = 128;
/** …or when the samples since the last adaptation used this share of a second's budget (1/50: 2 ms of stacks). */
const ADAPT_SHARE = 50;
/** What a stack of nominal cost takes, in µs: a token. */
const STACK_US = 5;
/** At most this factor of change of the mean at one adaptation: one noisy window does not swing it. */
const MAX_STEP = 4;
/**
 * The share of a second's budget kept in hand: a program within it is exact. Half a second
 * covers the issue 17 fixtures (7,000-9,000 stacks each, exact at a budget of 10,000 with half
 * of this in hand on a machine at load average 30); a whole one cost a short flood twice as much.
 * A quarter (3 of 5 fixtures off by more than 5% beside a second run at load average 35) and a
 * tenth (4 of 5) were too little.
 */
const IN_HAND = 0.5;
/** A window shorter than this says little of a rate. */
const MIN_WINDOW_MS = 5;
/** One capture is charged at most this long. */
const MAX_CHARGE_MS = 1;
/**
 * One capture in this many is timed, and all are charged the running cost of the timed ones:
 * two clock reads in a promise hook cost about a tenth of a capture.
 */
const TIME_EVERY = 8;
/** Samples between two looks at the CPU clock while a window is too short to adapt. */
const RECHECK = 16;

/**
 * The budget refills with the wall clock, as the captures are timed by it: refilled by the thread's CPU
 * time while charged by wall-clock timings, a starved process (load average 20-40) ran out at once and
 * was sampled where an idle one is exact (the issue 17 fixtures' estimates went 10% off at the default
 * budget, one 4x under at a small one: seen on Node 20 and 22 in this session's merge).
 */
const clockMs = (): number => performance.now();

export class PromiseSampler {
  /** Roots to let pass before the next sample (the hot path only decrements it). */
  countdown = 1;
  /** The weight of the sample the countdown leads to: 1/p of the draw that set it. */
  weight = 1;
  /** Mean gap between sampled roots; 1 is exact. */
  mean = 1;
  private tokens: number;
  private spent = 0;
  /** Samples since the last adaptation; the clock is not read again before `recheckAt`. */
  private samples = 0;
  private recheckAt = 0;
  private timeAtAdapt = clockMs();
  /** What a capture with its record costs now, in ms, from the last timed ones. */
  private cost = STACK_US / 1000;
  private readonly timed = new Float64Array(8).fill(STACK_US / 1000);
  private timedAt = 0;
  private untilTimed = 1;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond * IN_HAND;
  }

  /** A root's countdown ran out: the weight of this sample (the roots it stands for). */
  take(): number {
    const weight = this.weight;
    this.draw();
    return weight;
  }

  /** Before a capture: the clock when this one is to be timed, else -1. */
  clock(): number {
    if (--this.untilTimed > 0) return -1;
    this.untilTimed = TIME_EVERY;
    return performance.now();
  }

  /** A stack was taken (timed from `started` when that is not -1): charged to the budget by its real cost. */
  charge(started: number): void {
    if (started >= 0) {
      // The mean of the last few timed ones but the dearest: a wall-clock interval now and then holds a time a
      // busy machine did not run the process at all (the CPU clock is too coarse for a few microseconds), while
      // captures of two kinds can differ a hundredfold (in a long `.then` chain), so the least would understate.
      const timed = this.timed;
      timed[this.timedAt++ % timed.length] = Math.min(performance.now() - started, MAX_CHARGE_MS);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < timed.length; i++) {
        sum += timed[i]!;
        max = Math.max(max, timed[i]!);
      }
      this.cost = (sum - max) / (timed.length - 1);
    }
    const tokens = (this.cost * 1000) / STACK_US;
    this.tokens -= tokens;
    this.spent += tokens;
    // Relearnt every so many samples, and as often when each one costs a lot (a chain that keeps growing).
    if (this.tokens < 0 && this.mean === 1) {
      this.adapt();
      return;
    }
    if (++this.samples < this.recheckAt || (this.samples < ADAPT_EVERY && this.spent * ADAPT_SHARE < this.perSecond)) return;
    // A window still too short is looked at again some samples later.
    if (clockMs() - this.timeAtAdapt >= MIN_WINDOW_MS) this.adapt();
    else this.recheckAt = this.samples + RECHECK;
  }

  /** Also called by the heartbeat, so the rate is relearnt when a flood ends and few samples come. */
  adapt(): void {
    const now = clockMs();
    const elapsed = now - this.timeAtAdapt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.perSecond * IN_HAND, this.tokens + (elapsed * this.perSecond) / 1000);
    const ratio = (this.spent * 1000) / elapsed / this.perSecond;
    this.spent = 0;
    this.samples = 0;
    this.recheckAt = 0;
    this.timeAtAdapt = now;
    // Exact while what is in hand lasts; then as many samples as the budget pays for.
    if (this.mean === 1 && this.tokens > 0) return;
    let mean = Math.max(1, Math.min(this.mean * MAX_STEP, Math.max(this.mean / MAX_STEP, this.mean * ratio)));
    // In debt and exact: sampled from now on, or every capture would come back here.
    if (this.tokens <= 0 && mean === 1) mean = 2;
    if (mean === this.mean) return;
    this.mean = mean;
    // A new mean takes effect at once: the gap under way is drawn again (a geometric gap has no memory).
    this.draw();
  }

  private draw(): void {
    this.weight = this.mean;
    // Geometric with mean `mean`: the gap to the next sample when each root is taken with probability 1/mean.
    this.countdown = this.mean <= 1 ? 1 : 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - 1 / this.mean));
  }
}

/**
 * The variance of an estimated count from the samples that made it: `clusters` maps each
 * sampled root to how many of the counted things descend from it, all with that root's
 * weight w (taken together or not at all): Σ w(w-1)k².
 */
export function varianceOf(clusters: Iterable<readonly [weight: number, count: number]>): number {
  let variance = 0;
  for (const [w, k] of clusters) variance += w * (w - 1) * k * k;
  return variance;
}
