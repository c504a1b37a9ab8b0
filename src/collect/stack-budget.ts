/**
 * A budget on the cost of stack captures, as a token bucket. A token is one stack of
 * nominal cost (STACK_US); a deeper stack (an HTTP client's, with its async frames, takes
 * 10 µs and more) is charged what it took, so kinds created thousands of times a second
 * get stacks only while the bucket has tokens, and never more than `perSecond` of them.
 * Rare, long-lived kinds bypass it. Counts stay exact either way.
 */
const STACK_US = 5;
/**
 * At most this many tokens for one stack: the first captures in a process run cold (not
 * compiled yet, a millisecond and more) and must not starve a short program of its stacks.
 */
const MAX_TOKENS = 5;

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
    this.tokens = Math.min(this.burst, this.tokens + refill);
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** What a taken stack cost beyond its one token (`ms` it took to capture): a costly stack uses up more of the budget. */
  charge(ms: number): void {
    const extra = Math.min((ms * 1000) / STACK_US, MAX_TOKENS) - 1;
    if (extra > 0) this.tokens -= extra;
  }
}
