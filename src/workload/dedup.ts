/**
 * The dedup stage (spec 1.6, VictoriaMetrics' dedupAggr): within one dedup interval keep one sample
 * per key, then hand them all to the outputs and start over. No staleness: each flush drains everything.
 */
import { isStaleNaN } from './stale-nan.js';

/** Go's shard count; JS has no parallelism, so it only keeps the shape (and bounds each map's size). */
export const DEDUP_SHARDS = 128;
const FLUSH_BATCH = 10_000;

export interface DedupSample {
  key: string;
  value: number;
  timestamp: number;
}

interface Kept {
  value: number;
  timestamp: number;
}

/** Whether `next` replaces `prev` (Go's `isDuplicate` inverted): newer wins; on a tie, larger wins, and anything beats a staleness marker. */
export function newSampleWins(prev: Kept, next: Kept): boolean {
  if (next.timestamp > prev.timestamp) return true;
  if (next.timestamp < prev.timestamp) return false;
  if (isStaleNaN(prev.value)) return true;
  return next.value > prev.value;
}

/** FNV-1a over UTF-16 units; any stable hash will do for shard choice. */
function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % DEDUP_SHARDS;
}

export class DedupAggr {
  private shards: Array<Map<string, Kept>> = Array.from({ length: DEDUP_SHARDS }, () => new Map());

  push(samples: readonly DedupSample[]): void {
    for (const s of samples) this.pushOne(s.key, s.value, s.timestamp);
  }

  pushOne(key: string, value: number, timestamp: number): void {
    const shard = this.shards[shardOf(key)]!;
    const prev = shard.get(key);
    if (prev === undefined) {
      shard.set(key, { value, timestamp });
    } else if (newSampleWins(prev, { value, timestamp })) {
      prev.value = value;
      prev.timestamp = timestamp;
    }
  }

  /** Samples held right now. */
  itemsCount(): number {
    let n = 0;
    for (const m of this.shards) n += m.size;
    return n;
  }

  /** Drains every shard into `emit`, in batches of up to 10,000. */
  flush(emit: (batch: DedupSample[]) => void): void {
    let batch: DedupSample[] = [];
    for (let i = 0; i < this.shards.length; i++) {
      const shard = this.shards[i]!;
      if (shard.size === 0) continue;
      this.shards[i] = new Map();
      for (const [key, kept] of shard) {
        batch.push({ key, value: kept.value, timestamp: kept.timestamp });
        if (batch.length >= FLUSH_BATCH) {
          emit(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) emit(batch);
  }
}
