/**
 * The labels compressor as VictoriaMetrics had it before the cleanup commit (spec 1.3): every distinct
 * label gets the next index from 1 and is kept forever, so under label churn it grows without bound
 * (VictoriaMetrics#7146). It is leakprof's "leaky" workload, with two handle leaks on top, on purpose.
 */
import type { CompressorVariant, LabelsCompressor } from './labels-compressor.js';
import { appendKey, readKeyIndices } from './compressed-key.js';
import { labelKey, utf8Length, type Label } from './labels.js';

/** Go's per-entry overhead: 2 × (sizeof(Label) 32 + pointer 8) + sizeof(uint64) 8. */
const ENTRY_OVERHEAD_BYTES = 88;

/** Used as the ticker period when only zero intervals were registered, like the fixed variant's idle period. */
const IDLE_PERIOD_MS = 3_600_000;

export class LeakyLabelsCompressor implements LabelsCompressor {
  readonly variant: CompressorVariant = 'leaky';
  readonly generation = 0; // nothing is ever evicted

  private readonly labelToIdx = new Map<string, number>();
  /** Dense, index 0 unused: old indices start at 1. */
  private readonly idxToLabel: Array<Label | undefined> = [undefined];
  private nextIdx = 0;
  private totalSizeBytes = 0;
  private readonly registry: number[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;

  compress(labels: readonly Label[]): Uint8Array {
    const dst: number[] = [];
    this.appendCompressed(dst, labels);
    return Uint8Array.from(dst);
  }

  appendCompressed(dst: number[], labels: readonly Label[]): void {
    const indices: number[] = new Array(labels.length);
    for (let i = 0; i < labels.length; i++) indices[i] = this.indexOf(labels[i]!);
    appendKey(dst, indices);
  }

  private indexOf(label: Label): number {
    const key = labelKey(label);
    let idx = this.labelToIdx.get(key);
    if (idx === undefined) {
      idx = ++this.nextIdx;
      // Store idx→label before label→idx, as Go does for concurrent readers; the copy detaches caller objects.
      this.idxToLabel[idx] = { name: label.name, value: label.value };
      this.labelToIdx.set(key, idx);
      this.totalSizeBytes += utf8Length(label.name) + utf8Length(label.value) + ENTRY_OVERHEAD_BYTES;
    }
    return idx;
  }

  decompress(key: ArrayLike<number>): Label[] {
    const indices = readKeyIndices(key);
    const out: Label[] = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const label = this.idxToLabel[indices[i]!];
      if (label === undefined) throw new Error(`BUG: missing label for idx=${indices[i]}`);
      out[i] = { name: label.name, value: label.value };
    }
    return out;
  }

  sizeBytes(): number {
    return this.totalSizeBytes;
  }

  itemsCount(): number {
    return this.nextIdx;
  }

  /** Nothing to rotate: the old compressor never removes a label. Counts calls so the ticker has a body. */
  rotate(): void {
    this.ticks++;
  }

  register(stalenessMs: number): void {
    this.registry.push(stalenessMs);
    if (this.ticker !== undefined) return;
    const periodMs = Math.max(...this.registry) || IDLE_PERIOD_MS;
    // LEAK (deliberate, the demo's point): a ref'd interval that unregister() never clears keeps the process alive.
    this.ticker = setInterval(() => this.rotate(), periodMs);
  }

  /** Forgets the interval but, as the leak requires, leaves the ticker running. */
  unregister(stalenessMs: number): void {
    const i = this.registry.indexOf(stalenessMs);
    if (i >= 0) this.registry.splice(i, 1);
  }
}
