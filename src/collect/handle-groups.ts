/**
 * The handles profile kept as things change, for the heartbeat: each resource is described and
 * put in its group once, at the first heartbeat that finds it alive (its lazy stack is read
 * then, once), and leaves its group when its destroy event comes (resource-table.ts). A
 * heartbeat so costs what was made and ended since the last one, plus one line per group, never
 * a walk of everything alive.
 *
 * What it cannot see without a walk is said here, not hidden: a resource's label and state are
 * the ones it had when it was grouped (a timer unref'd later still counts as ref), and ages are
 * its group's oldest member and the newest ever placed. A snapshot that was asked for (exit, a
 * request, --every, a signal) walks the table and describes every resource as it is now
 * (snapshot.ts); the heartbeat is what a killed or blocked process leaves behind.
 */
import { UNOPENED, type WireEntry, type WireProfile, type WireSample } from '../transport/messages.js';
import { describe, isAlive, streamUnder } from './resource-details.js';
import { HANDLES_PROFILE, ResourceTable, type LiveRecord } from './resource-table.js';
import type { SampleHead } from './sample-groups.js';
import { rawGroupKey } from '../transport/group-identity.js';
import { testName } from './test-context.js';

interface Group {
  head: SampleHead;
  members: Map<number, LiveRecord>;
  /** Creation time of the newest member ever placed (ms of performance.now()). */
  newestAt: number;
}

/** A socket unopened this long is placed as it is (a lookup that never ends); before, it is looked at again. */
const STUCK_UNOPENED_MS = 5000;

/** A connection's TCPWRAP under its TLSWRAP: counted once, as the TLSWRAP; never reported. */
const HIDDEN = new Map<number, LiveRecord>();

export class HandleGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly table: ResourceTable) {
    table.keepFresh();
  }

  /** Places what was made since the last call; what is not settled yet (a socket still connecting, one closing) is looked at again next time. */
  update(now: number): void {
    const fresh = this.table.takeFresh();
    const later: number[] = [];
    // TLS first: a connection is one TLSWRAP, not also the TCPWRAP it runs over.
    for (const id of fresh) {
      const record = this.table.live.get(id);
      if (record !== undefined && record.group === undefined && record.kind.type === 'TLSWRAP') this.place(id, record, now, later);
    }
    for (const id of fresh) {
      const record = this.table.live.get(id);
      if (record !== undefined && record.group === undefined) this.place(id, record, now, later);
    }
    this.table.returnFresh(later);
  }

  private place(id: number, record: LiveRecord, now: number, later: number[]): void {
    const resource = ResourceTable.resolve(record);
    // Collected without a destroy event: the next walk settles it.
    if (resource === undefined) return;
    const type = record.kind.type;
    if (!isAlive(type, resource)) {
      later.push(id);
      return;
    }
    const { label, state } = describe(type, resource, now);
    // A socket still waiting for its connect (no fd yet) changes state soon: it is placed once it has, or once it looks stuck.
    if (state === UNOPENED && now - record.createdAt < STUCK_UNOPENED_MS) {
      later.push(id);
      return;
    }
    if (type === 'TLSWRAP') this.hideUnder(resource);
    const stack = this.table.stackOf(record);
    const createdBy = this.table.createdByOf(record);
    const ancestor = createdBy >= 0 ? this.table.ancestors[createdBy] : undefined;
    // The same grouping as a walk's (snapshot.ts): where the ancestor's code is, not which ancestor.
    const key = rawGroupKey(label, state, stack, ancestor?.stack ?? -1, record.test);
    let group = this.groups.get(key);
    if (group === undefined) {
      const head: SampleHead = { type, label, state, stack, createdBy: ancestor?.stack ?? -1, createdByAsync: ancestor?.asyncId ?? -1 };
      const test = testName(record.test);
      if (test !== undefined) head.test = test;
      group = { head, members: new Map(), newestAt: record.createdAt };
      this.groups.set(key, group);
    }
    group.members.set(id, record);
    if (record.createdAt > group.newestAt) group.newestAt = record.createdAt;
    record.group = group.members;
  }

  /** The TCPWRAP a TLSWRAP runs over leaves its group (it may have been placed at an earlier heartbeat). */
  private hideUnder(tls: object): void {
    const under = streamUnder('TLSWRAP', tls) as { getAsyncId?: () => number } | undefined;
    const id = typeof under?.getAsyncId === 'function' ? under.getAsyncId() : undefined;
    const record = id === undefined ? undefined : this.table.live.get(id);
    if (record === undefined || id === undefined || record.group === HIDDEN) return;
    record.group?.delete(id);
    record.group = HIDDEN;
  }

  /** The profile: one sample per group, exact counts, the first `maxEntries` members listed. */
  profile(now: number, maxEntries: number): { profile: WireProfile; dropped: number } {
    let left = maxEntries;
    let dropped = 0;
    let total = 0;
    const samples: WireSample[] = [];
    for (const [key, group] of this.groups) {
      const count = group.members.size;
      if (count === 0) {
        this.groups.delete(key);
        continue;
      }
      total += count;
      const entries: WireEntry[] = [];
      let oldest = Infinity;
      for (const [id, record] of group.members) {
        if (oldest === Infinity) oldest = record.createdAt;
        if (left === 0) break;
        left--;
        entries.push({ id, ageMs: Math.max(0, Math.round(now - record.createdAt)), trigger: record.trigger });
      }
      dropped += count - entries.length;
      const ageMaxMs = Math.max(0, Math.round(now - oldest));
      const ageMinMs = Math.min(ageMaxMs, Math.max(0, Math.round(now - group.newestAt)));
      samples.push({ ...group.head, count, ageMinMs, ageMaxMs, entries });
    }
    return { profile: { name: HANDLES_PROFILE.name, descriptor: HANDLES_PROFILE, total, samples }, dropped };
  }
}
