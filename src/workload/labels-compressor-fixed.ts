/**
 * The labels compressor after VictoriaMetrics' cleanup commit 18dfeaf2cf (spec 1.4): users register
 * their staleness interval, a timer rotates every max(registered) ms, and a label unused for two
 * non-empty periods is evicted in two phases — first from the lookup map (new compresses get a new
 * index), then, one non-empty rotation later, its slot is freed for reuse. The gap keeps keys taken
 * just before eviction decodable while in-flight flushes drain.
 *
 * JS is single-threaded, so Go's lock-free fast path, copy-on-write arrays and re-marking after a
 * concurrent bitset swap collapse into plain mutation; the marking rule stays: every compress marks
 * every index it emits.
 */
import type { CompressorVariant, LabelsCompressor } from './labels-compressor.js';
import { appendKey, readKeyIndices } from './compressed-key.js';
import { labelKey, utf8Length, type Label } from './labels.js';

/** Go's per-entry accounting: len(name)+len(value) + sizeof(Label) 32 + 8. */
const ENTRY_OVERHEAD_BYTES = 40;

/** Period when nothing (or only 0) is registered; 0 would make the loop spin (PR #10811 review). */
export const IDLE_ROTATION_PERIOD_MS = 3_600_000;

export class FixedLabelsCompressor implements LabelsCompressor {
  readonly variant: CompressorVariant = 'fixed';

  private readonly labelToIdx = new Map<string, number>();
  /** `undefined` marks a freed slot (Go's zero Label). */
  private readonly idxToLabel: Array<Label | undefined> = [];
  /** One bit per index used in the current period; 32-bit words. */
  private usedBitset = new Uint32Array(0);
  /** The previous non-empty period's bits; only rotate() touches it. */
  private prevBitset = new Uint32Array(0);
  /** Evicted from lookup by the last rotation; slot not freed yet. */
  private pendingIdxs = new Set<number>();
  /** Freed slots, reused LIFO. */
  private readonly freeIdxs: number[] = [];
  private totalSizeBytes = 0;
  private generationCount = 0;

  private readonly registry: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private periodMs = 0;

  get generation(): number {
    return this.generationCount;
  }

  /** Slots in the index table, freed ones included; what plateaus under steady churn. */
  get slotCount(): number {
    return this.idxToLabel.length;
  }

  get freeSlotCount(): number {
    return this.freeIdxs.length;
  }

  /** The current rotation period (ms), 0 while no timer runs. */
  get rotationPeriodMs(): number {
    return this.timer === undefined ? 0 : this.periodMs;
  }

  compress(labels: readonly Label[]): Uint8Array {
    const dst: number[] = [];
    this.appendCompressed(dst, labels);
    return Uint8Array.from(dst);
  }

  appendCompressed(dst: number[], labels: readonly Label[]): void {
    const indices: number[] = new Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      const key = labelKey(label);
      let idx = this.labelToIdx.get(key);
      if (idx === undefined) {
        idx = this.newIndex({ name: label.name, value: label.value });
        this.labelToIdx.set(key, idx);
      }
      this.markUsed(idx);
      indices[i] = idx;
    }
    appendKey(dst, indices);
  }

  private newIndex(label: Label): number {
    let idx: number;
    if (this.freeIdxs.length > 0) {
      idx = this.freeIdxs.pop()!;
      this.idxToLabel[idx] = label;
    } else {
      idx = this.idxToLabel.length;
      this.idxToLabel.push(label);
    }
    this.growBitset(idx);
    this.totalSizeBytes += utf8Length(label.name) + utf8Length(label.value) + ENTRY_OVERHEAD_BYTES;
    return idx;
  }

  private growBitset(idx: number): void {
    const needed = (idx >>> 5) + 1;
    if (needed <= this.usedBitset.length) return;
    // Doubling keeps growth amortised; the extra words stay zero and change nothing.
    const grown = new Uint32Array(Math.max(needed, this.usedBitset.length * 2));
    grown.set(this.usedBitset);
    this.usedBitset = grown;
  }

  private markUsed(idx: number): void {
    this.usedBitset[idx >>> 5]! |= 1 << (idx & 31);
  }

  decompress(key: ArrayLike<number>): Label[] {
    const indices = readKeyIndices(key);
    const out: Label[] = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const idx = indices[i]!;
      if (idx >= this.idxToLabel.length) {
        throw new Error(`BUG: missing label for idx=${idx}; idxToLabel len=${this.idxToLabel.length}`);
      }
      const label = this.idxToLabel[idx];
      // Go returns an empty label here; throwing makes a use-after-evict visible.
      if (label === undefined) throw new Error(`BUG: label idx=${idx} was evicted and its slot freed (use after evict)`);
      out[i] = { name: label.name, value: label.value };
    }
    return out;
  }

  sizeBytes(): number {
    return this.totalSizeBytes;
  }

  itemsCount(): number {
    return this.labelToIdx.size;
  }

  rotate(): void {
    const currentBits = this.usedBitset;
    // An all-zero period changes nothing: rapid empty rotations must not drain in-flight keys.
    if (!currentBits.some((w) => w !== 0)) return;
    this.usedBitset = new Uint32Array(currentBits.length);

    const prevSnap = this.prevBitset;
    this.prevBitset = currentBits;
    const pending = this.pendingIdxs;
    const isUsed = (idx: number): boolean => {
      const word = idx >>> 5;
      const mask = 1 << (idx & 31);
      return ((currentBits[word] ?? 0) & mask) !== 0 || ((prevSnap[word] ?? 0) & mask) !== 0;
    };

    // Phase 2: free the slots evicted last rotation, unless something still used them.
    const toReclaim: number[] = [];
    const nextRelease = new Set<number>();
    for (const idx of pending) {
      if (isUsed(idx)) nextRelease.add(idx);
      else toReclaim.push(idx);
    }

    // Phase 1: drop labels unused in both periods from lookup; their slots stay readable one more rotation.
    let evicted = false;
    for (let idx = 0; idx < this.idxToLabel.length; idx++) {
      const label = this.idxToLabel[idx];
      if (label === undefined || pending.has(idx) || isUsed(idx)) continue;
      this.labelToIdx.delete(labelKey(label));
      nextRelease.add(idx);
      evicted = true;
    }
    if (evicted) this.generationCount++;

    for (const idx of toReclaim) {
      const label = this.idxToLabel[idx]!;
      const entryBytes = utf8Length(label.name) + utf8Length(label.value) + ENTRY_OVERHEAD_BYTES;
      this.totalSizeBytes = Math.max(0, this.totalSizeBytes - entryBytes);
      this.idxToLabel[idx] = undefined;
      this.freeIdxs.push(idx);
    }
    this.pendingIdxs = nextRelease;
  }

  register(stalenessMs: number): void {
    this.registry.push(stalenessMs);
    this.rearm();
  }

  unregister(stalenessMs: number): void {
    const i = this.registry.indexOf(stalenessMs);
    if (i >= 0) this.registry.splice(i, 1);
    this.rearm();
  }

  private maxRegisteredStaleness(): number {
    let max = 0;
    for (const d of this.registry) if (d > max) max = d;
    return max > 0 ? max : IDLE_ROTATION_PERIOD_MS;
  }

  /**
   * Go's "nudge": recompute the period and restart the timer only if it changed. Unlike Go's loop,
   * which idles at 1h forever, the timer is cleared when the last user unregisters.
   */
  private rearm(): void {
    if (this.registry.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    const period = this.maxRegisteredStaleness();
    if (this.timer !== undefined && period === this.periodMs) return;
    clearTimeout(this.timer);
    this.periodMs = period;
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.rotate();
      this.periodMs = this.maxRegisteredStaleness();
      this.schedule();
    }, this.periodMs);
    // A background rotation must never keep the process alive.
    this.timer.unref();
  }
}
