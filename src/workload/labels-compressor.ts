/**
 * What the aggregator needs from a labels compressor, and the factory for the two variants:
 * `leaky` (before VictoriaMetrics' cleanup commit: nothing is ever removed) and `fixed` (after it:
 * rotation with two-phase eviction).
 */
import type { Label } from './labels.js';
import { LeakyLabelsCompressor } from './labels-compressor-leaky.js';
import { FixedLabelsCompressor } from './labels-compressor-fixed.js';

export type CompressorVariant = 'leaky' | 'fixed';

export interface LabelsCompressor {
  readonly variant: CompressorVariant;
  /** Incremented by each rotation that evicted something; keys taken before may soon stop decoding. */
  readonly generation: number;
  /** The compressed key of `labels` (order preserved; callers sort first). */
  compress(labels: readonly Label[]): Uint8Array;
  /** Appends the compressed key of `labels` to `dst`, to build composite keys without copies. */
  appendCompressed(dst: number[], labels: readonly Label[]): void;
  /** The labels a key lists; throws on a malformed key or an unknown (or freed) index. */
  decompress(key: ArrayLike<number>): Label[];
  /** Approximate bytes held, with Go's per-entry accounting. */
  sizeBytes(): number;
  /** Labels currently known to compress (leaky: indices handed out; fixed: lookup map size). */
  itemsCount(): number;
  /** A user with this staleness interval (ms) starts; sets the rotation period. Pair with `unregister`. */
  register(stalenessMs: number): void;
  unregister(stalenessMs: number): void;
  /** One rotation, as the rotation timer does; public for tests and benchmarks. */
  rotate(): void;
}

export function createCompressor(variant: CompressorVariant): LabelsCompressor {
  switch (variant) {
    case 'leaky':
      return new LeakyLabelsCompressor();
    case 'fixed':
      return new FixedLabelsCompressor();
    default:
      throw new Error(`unknown compressor variant "${String(variant)}": use "leaky" or "fixed"`);
  }
}
