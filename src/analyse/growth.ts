/**
 * Growth over time: with snapshots taken every --every, a group whose count keeps rising
 * is flagged with its rate; a group that is large but flat is not. A leak per request
 * climbs at every sample; a pool or a cache levels off.
 */
import type { SnapshotMessage } from '../transport/messages.js';
import type { GroupGrowth, HeapTrend } from '../report/schema.js';
import { sampleSignature } from './signature.js';
import { trendOf } from './trend-test.js';
import { attributeSampledOut } from './sampled-out.js';

/** Counts per group (its key: ../transport/group-identity.ts, profile included), for one snapshot. */
export type CountsBySignature = Map<string, number>;

export function countsOf(snap: SnapshotMessage): CountsBySignature {
  const out: CountsBySignature = new Map();
  for (const profile of snap.profiles) {
    for (const sample of attributeSampledOut(profile.samples)) {
      const key = sampleSignature(profile.name, sample, snap.stacks);
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

/**
 * The heap's verdict over a run: does the heap after GC keep growing? Judged on the post-GC
 * samples only (a forced GC in check mode, V8's own full GCs otherwise), by their order, never
 * their times, so a slow or busy machine gets the same answer:
 * - the first fifth of the samples is start-up (modules loading, pools and caches filling);
 * - the rest is judged up to its peak, so a leak released before the end (at shutdown) is judged
 *   on the stretch where it grew;
 * - growing means a Mann–Kendall trend at p < 0.01, a Theil–Sen growth over that stretch above
 *   the threshold, still rising in its last third, and not flat at its peak (a pool that filled
 *   and plateaued is not growing).
 */

/** Post-GC samples below which no verdict is given (six rising samples reach p < 0.01). */
export const MIN_JUDGED = 6;
const P_MAX = 0.01;
const WARMUP_SHARE = 0.2;
/** What start-up and noise alone can move the heap by, where no threshold was given. */
export const HEAP_NOISE_FLOOR = 4 * 1024 * 1024;

export function heapTrend(samples: readonly { t: number; heapUsed: number; gc?: boolean }[], threshold = HEAP_NOISE_FLOOR): HeapTrend {
  const post = samples.filter((s) => s.gc === true);
  const warmup = Math.max(1, Math.ceil(post.length * WARMUP_SHARE));
  const rest = post.slice(warmup);
  const base: HeapTrend = { verdict: 'too-few', samples: post.length, warmup, judged: 0, from: 0, to: 0, growth: 0, perSecond: 0, overMs: 0, p: 1 };
  if (rest.length < MIN_JUDGED) return { ...base, why: `${post.length} samples after GC, ${minSamples()} needed: too short a run to tell growth from start-up` };
  let peak = 0;
  for (let i = 1; i < rest.length; i++) if (rest[i]!.heapUsed >= rest[peak]!.heapUsed) peak = i;
  const stretch = rest.slice(0, peak + 1);
  const heap = stretch.map((s) => s.heapUsed);
  const last = post[post.length - 1]!;
  const first = stretch[0]!;
  const top = stretch[stretch.length - 1]!;
  const out: HeapTrend = { ...base, verdict: 'steady', judged: stretch.length, from: first.heapUsed, to: top.heapUsed, overMs: top.t - first.t };
  if (stretch.length < MIN_JUDGED) return { ...out, why: `it peaked early (sample ${warmup + peak + 1} of ${post.length}) and did not grow after` };
  const whole = trendOf(heap);
  const late = trendOf(heap.slice(Math.min(heap.length - 3, Math.floor((heap.length * 2) / 3))));
  out.p = whole.p;
  out.growth = Math.max(0, whole.slope * (heap.length - 1));
  out.perSecond = trendOf(heap, stretch.map((s) => s.t)).slope * 1000;
  // After the peak, the heap either fell back (released: the leak is judged on its growth) or
  // stayed up: two samples or more near the peak is a plateau, what a filled pool looks like.
  const near = top.heapUsed - out.growth / 4;
  const after = rest.slice(peak + 1);
  if (last.heapUsed < near) out.releasedTo = last.heapUsed;
  if (whole.p >= P_MAX) return { ...out, why: `no significant trend (p = ${whole.p.toFixed(2)})` };
  if (late.s <= 0 || late.slope < whole.slope / 4 || after.filter((s) => s.heapUsed >= near).length >= 2) {
    return { ...out, why: 'it grew, then levelled off (start-up, a pool or a cache filling)' };
  }
  if (out.growth <= threshold) return { ...out, why: 'it grows, but less than the threshold' };
  return { ...out, verdict: 'growing' };
}

/** The fewest samples after GC that leave MIN_JUDGED after start-up. */
function minSamples(): number {
  let n = MIN_JUDGED;
  while (n - Math.max(1, Math.ceil(n * WARMUP_SHARE)) < MIN_JUDGED) n++;
  return n;
}

/** `14 samples after GC, p < 0.001`: the evidence behind a heap verdict, in words. */
export function trendEvidence(trend: HeapTrend): string {
  const p = trend.p < 0.001 ? 'p < 0.001' : `p = ${trend.p.toFixed(3)}`;
  return `${trend.judged} of ${trend.samples} samples after GC, Mann–Kendall ${p}`;
}
