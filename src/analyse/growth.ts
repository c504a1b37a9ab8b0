/**
 * Growth over time: with snapshots taken every --every, a group whose count keeps rising
 * is flagged with its rate; a group that is large but flat is not. A leak per request
 * climbs at every sample; a pool or a cache levels off.
 */
import type { SnapshotMessage } from '../transport/messages.js';
import type { GroupGrowth } from '../report/schema.js';
import { sampleSignature } from './signature.js';

/** Counts per profile and group signature, for one snapshot. */
export type CountsBySignature = Map<string, number>;

export function countsOf(snap: SnapshotMessage): CountsBySignature {
  const out: CountsBySignature = new Map();
  for (const profile of snap.profiles) {
    for (const sample of profile.samples) {
      const key = `${profile.name}\u0001${sampleSignature(sample, snap.stacks)}`;
      out.set(key, (out.get(key) ?? 0) + sample.count);
    }
  }
  return out;
}

/** Snapshots that form a time series: appended ones, oldest first, up to and including `last`. */
export function seriesUpTo(snapshots: SnapshotMessage[], last: SnapshotMessage): SnapshotMessage[] {
  const out = snapshots.filter((s) => s.time <= last.time && s.seq <= last.seq);
  if (!out.includes(last)) out.push(last);
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Rising in most intervals, falling in few, and up overall: growing. Needs three samples,
 * since two cannot tell a leak from a warm-up.
 */
export function growthOf(series: { time: number; count: number }[]): GroupGrowth | undefined {
  if (series.length < 3) return undefined;
  let up = 0;
  let down = 0;
  for (let i = 1; i < series.length; i++) {
    if (series[i]!.count > series[i - 1]!.count) up++;
    else if (series[i]!.count < series[i - 1]!.count) down++;
  }
  const intervals = series.length - 1;
  const first = series[0]!;
  const last = series[series.length - 1]!;
  const overMs = last.time - first.time;
  if (last.count <= first.count || overMs <= 0) return undefined;
  if (up < Math.max(2, Math.ceil(intervals / 2)) || down > Math.floor(intervals / 4)) return undefined;
  return { perSecond: ((last.count - first.count) * 1000) / overMs, from: first.count, to: last.count, overMs, samples: series.length };
}
