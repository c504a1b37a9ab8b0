/**
 * Things whose creation stack was sampled out (the stack budget ran dry under a flood) are
 * counted with the stacked groups of their kind, the way a sampling profiler scales its
 * samples: a budget that says no does not look at where a thing was made, so the stacked
 * groups of one kind (type, label, state, test and labels alike) stand for the unstacked ones
 * in proportion to their counts. The groups that took some are marked estimated (≈). One leak
 * then reads as one line, not as its line and a "no creation stack" twin; a kind with no
 * stacked group at all (`--stacks none`, or a flood from its first thing on) stays as it was.
 */
import type { WireSample } from '../transport/messages.js';

function kindOf(s: WireSample): string {
  return [s.type, s.label, s.state, s.test ?? '', s.labels ? JSON.stringify(s.labels) : ''].join('\u0000');
}

function unstacked(s: WireSample): boolean {
  return s.stack < 0 && s.createdBy < 0 && s.waitingOn === undefined && !s.estimated;
}

/** The profile's samples with each unstacked one shared out among the stacked ones of its kind; the input is not changed. */
export function attributeSampledOut(samples: readonly WireSample[]): readonly WireSample[] {
  if (!samples.some(unstacked)) return samples;
  const stacked = new Map<string, WireSample[]>();
  for (const s of samples) {
    if (s.stack < 0 || s.estimated) continue;
    const kind = kindOf(s);
    const same = stacked.get(kind);
    if (same) same.push(s);
    else stacked.set(kind, [s]);
  }
  const added = new Map<WireSample, { count: number; entries: WireSample['entries']; ageMinMs: number; ageMaxMs: number }>();
  const out: WireSample[] = [];
  for (const s of samples) {
    const takers = unstacked(s) ? stacked.get(kindOf(s)) : undefined;
    if (!takers) {
      out.push(s);
      continue;
    }
    const shares = shareOut(s.count, takers.map((t) => t.count));
    let entry = 0;
    takers.forEach((t, i) => {
      const share = shares[i]!;
      if (share === 0) return;
      const into = added.get(t) ?? { count: 0, entries: [], ageMinMs: Infinity, ageMaxMs: -Infinity };
      into.count += share;
      into.entries.push(...s.entries.slice(entry, entry + share));
      entry += share;
      into.ageMinMs = Math.min(into.ageMinMs, s.ageMinMs);
      into.ageMaxMs = Math.max(into.ageMaxMs, s.ageMaxMs);
      added.set(t, into);
    });
  }
  return out.map((s) => {
    const more = added.get(s);
    if (!more) return s;
    return {
      ...s,
      count: s.count + more.count,
      entries: [...s.entries, ...more.entries],
      ageMinMs: Math.min(s.ageMinMs, more.ageMinMs),
      ageMaxMs: Math.max(s.ageMaxMs, more.ageMaxMs),
      estimated: true,
    };
  });
}

/** `total` split in proportion to `weights`, in whole things (largest remainders), summing to `total`. */
export function shareOut(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}
