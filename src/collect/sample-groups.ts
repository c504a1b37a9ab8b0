/**
 * Folds live things into a profile's samples: one sample per distinct key (kind, state,
 * stack…), exact counts and age ranges, and the first `maxEntries` things listed one by
 * one. Every profile (handles, async, listeners) is built through it.
 */
import type { WireEntry, WireProfile, WireProfileDescriptor, WireSample } from '../transport/messages.js';
import { varianceOf } from './promise-sampler.js';

export type SampleHead = Omit<WireSample, 'count' | 'ageMinMs' | 'ageMaxMs' | 'entries'>;

export class SampleGroups {
  private readonly groups = new Map<string, WireSample>();
  private total = 0;
  private totalBytes: number | undefined;
  dropped = 0;
  /** Estimated groups: per sampled root (the cluster), its weight and how many of the group it stands behind. */
  private readonly clusters = new Map<WireSample, Map<number, [number, number]>>();

  constructor(private entriesLeft: number) {}

  /**
   * `weight`: how many things this one stands for, when they were sampled (the count is then an
   * estimate); `cluster`: the sample it was taken with (things of one cluster were sampled together).
   */
  add(key: string, head: () => SampleHead, entry: WireEntry, weight = 1, cluster = entry.id): void {
    let sample = this.groups.get(key);
    if (sample === undefined) {
      sample = { ...head(), count: 0, ageMinMs: entry.ageMs, ageMaxMs: entry.ageMs, entries: [] };
      this.groups.set(key, sample);
    }
    if (weight !== 1) {
      sample.estimated = true;
      let clusters = this.clusters.get(sample);
      if (clusters === undefined) this.clusters.set(sample, (clusters = new Map()));
      const seen = clusters.get(cluster);
      if (seen === undefined) clusters.set(cluster, [weight, 1]);
      else seen[1]++;
    }
    sample.count += weight;
    this.total += weight;
    if (entry.ageMs < sample.ageMinMs) sample.ageMinMs = entry.ageMs;
    if (entry.ageMs > sample.ageMaxMs) sample.ageMaxMs = entry.ageMs;
    if (this.entriesLeft > 0) {
      this.entriesLeft--;
      sample.entries.push(entry);
    } else {
      this.dropped++;
    }
  }

  /** Adds things already folded elsewhere (counted, not listed one by one); `bytes` when they have a size (the heap profile). */
  addCounted(key: string, head: SampleHead, count: number, ageMinMs: number, ageMaxMs: number, bytes?: number): void {
    let sample = this.groups.get(key);
    if (sample === undefined) {
      sample = { ...head, count: 0, ageMinMs, ageMaxMs, entries: [] };
      this.groups.set(key, sample);
    }
    sample.count += count;
    this.total += count;
    if (bytes !== undefined) {
      sample.bytes = (sample.bytes ?? 0) + bytes;
      this.totalBytes = (this.totalBytes ?? 0) + bytes;
    }
    sample.ageMinMs = Math.min(sample.ageMinMs, ageMinMs);
    sample.ageMaxMs = Math.max(sample.ageMaxMs, ageMaxMs);
  }

  profile(descriptor: WireProfileDescriptor): WireProfile {
    // Sampled weights are 1/p, not whole numbers: an estimate is said in whole things.
    for (const [sample, clusters] of this.clusters) {
      sample.variance = Math.round(varianceOf(clusters.values()));
      sample.count = Math.round(sample.count);
    }
    const profile: WireProfile = { name: descriptor.name, descriptor, total: Math.round(this.total), samples: [...this.groups.values()] };
    if (this.totalBytes !== undefined) profile.totalBytes = this.totalBytes;
    return profile;
  }
}
