/**
 * A token bucket on stack captures. A stack costs 1–5 µs to take and intern, so kinds
 * created thousands of times a second get stacks only while the bucket has tokens; rare,
 * long-lived kinds bypass it. Counts stay exact either way.
 */
export class StackBudget {
  private tokens: number;
  private last = performance.now();
  private misses = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst = perSecond,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    // Out of tokens under a flood: look at the clock only now and then, it costs as much as a capture's bookkeeping.
    if (++this.misses % 64 !== 0) return false;
    const now = performance.now();
    const refill = ((now - this.last) * this.perSecond) / 1000;
    if (refill < 1) return false; // keep `last`: fractions add up across calls
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + refill) - 1;
    return true;
  }
}
