/** Turns the live table into a snapshot message: groups by (label, state, stack), exact counts, capped entries. */
import { memoryNow } from './memory-series.js';
import type { SnapshotMessage, SnapshotReason, StackMode, WireEntry, WireFrame, WireProfile, WireProfileDescriptor } from '../transport/messages.js';
import { SampleGroups, type SampleHead } from './sample-groups.js';
import { WIRE_VERSION } from '../transport/messages.js';
import type { HandleGroups } from './handle-groups.js';
import { describe, isAlive, isClosing, streamUnder } from './resource-details.js';
import { HANDLES_PROFILE, ResourceTable } from './resource-table.js';
import { mapFrames } from './source-maps.js';
import type { StackTable } from './stack-table.js';
import { rawGroupKey } from '../transport/group-identity.js';
import { testName, testNotes, testRunner } from './test-context.js';

/** A profile other than handles (async, listeners, heap, a user's own): folds its live things at snapshot time. */
export interface ProfileSource {
  /** What the profile is, declared by the source itself: carried with every snapshot. */
  readonly descriptor: WireProfileDescriptor;
  sample(now: number, maxEntries: number): SampleGroups;
  /** Adds this source's own bookkeeping to the message. */
  annotate?(message: SnapshotMessage): void;
  /** Moves whenever its live things changed: the heartbeat writes only then (absent: the source is read only when a snapshot is taken anyway). */
  readonly changes?: number;
  /** On by default (not asked for): left out of a snapshot while it has nothing, so reports and pprof files stay as without it. */
  omitWhenEmpty?: boolean;
}

export interface SnapshotContext {
  table: ResourceTable;
  profiles?: ProfileSource[];
  stacks: StackTable;
  stackMode: StackMode;
  maxEntries: number;
  seq: number;
  /** Kept as resources come and go: a kept snapshot reads these instead of walking the table (handle-groups.ts). */
  handleGroups?: HandleGroups;
  /** Resources that were unref'd when the process began to exit (freezeStates), for the exit snapshot. */
  unrefAtExit?: Set<object>;
}

/**
 * Called first thing in the 'exit' event: which live resources were unref'd once the event loop
 * had run empty (or process.exit() was called), before the program's own exit listeners run.
 * Those may ref one again to flush it (pino's transport worker); the exit snapshot, taken after
 * them and after a GC, judges what kept the process, not what its exit did. One hasRef() per
 * live resource, and a set of the unref'd ones only.
 */
export function freezeStates(ctx: SnapshotContext): void {
  const unref = new Set<object>();
  for (const record of ctx.table.live.values()) {
    const resource = ResourceTable.resolve(record) as { hasRef?: () => boolean } | undefined;
    try {
      if (typeof resource?.hasRef === 'function' && !resource.hasRef()) unref.add(record);
    } catch {
      // a closing handle may refuse
    }
  }
  ctx.unrefAtExit = unref;
}

const mappedStacks = new Map<number, WireFrame[]>();

/** `walk`: describe every live resource now; else (with kept groups) the handles profile is the groups kept as things changed. */
export function buildSnapshot(ctx: SnapshotContext, reason: SnapshotReason, extra: Partial<SnapshotMessage> = {}, walk = true): SnapshotMessage {
  const now = performance.now();
  const settled = new Map<string, Settled>();
  // The groups take in what is new at every snapshot, walked or not: each update looks only at what changed since the last.
  ctx.handleGroups?.update(now);
  // A kept snapshot (heartbeat, periodic request) costs what changed; a walk looks at each live resource as it is now.
  const kept = walk ? undefined : ctx.handleGroups;
  let handles: { profile: WireProfile; dropped: number };
  if (kept) handles = kept.profile(now, ctx.maxEntries);
  else {
    const walked = handlesProfile(ctx, now, settled);
    handles = { profile: walked.profile(HANDLES_PROFILE), dropped: walked.dropped };
  }
  const profiles = [handles.profile];
  let dropped = handles.dropped;
  for (const source of ctx.profiles ?? []) {
    const groups = source.sample(now, ctx.maxEntries);
    const profile = groups.profile(source.descriptor);
    if (source.omitWhenEmpty && profile.total === 0) continue;
    profiles.push(profile);
    dropped += groups.dropped;
  }
  const memory = memoryNow();

  const runner = testRunner();
  const message: SnapshotMessage = {
    ...(runner === undefined ? {} : { testRunner: runner }),
    ...(testNotes().length === 0 ? {} : { testNotes: [...testNotes()] }),
    kind: 'snapshot',
    v: WIRE_VERSION,
    pid: process.pid,
    seq: ctx.seq,
    reason,
    time: Date.now(),
    uptimeMs: Math.round(now),
    stackMode: ctx.stackMode,
    stacks: referencedStacks(ctx.stacks, profiles, [...settled.values()]),
    profiles,
    typeCounts: ctx.table.typeCounts(),
    // Node's own list is as long as what is alive: a kept snapshot leaves it out (and its report has no cross-check).
    active: kept ? {} : countActive(),
    memory: {
      rss: memory.rss,
      heapTotal: memory.heapTotal,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
    },
    droppedEntries: dropped,
    ...(kept ? { kept: true as const } : {}),
    ...(settled.size > 0 ? { settled: [...settled.values()] } : {}),
    ...extra,
  };
  for (const source of ctx.profiles ?? []) source.annotate?.(message);
  return message;
}

type Settled = NonNullable<SnapshotMessage['settled']>[number];

function handlesProfile(ctx: SnapshotContext, now: number, settled: Map<string, Settled>): SampleGroups {
  const groups = new SampleGroups(ctx.maxEntries);
  // On their way out (closed, destroy pending; or collected): not alive, but said, for check --verbose.
  const noteSettled = (type: string, stack: number, why: Settled['why']): void => {
    const key = `${type}\u0000${stack}\u0000${why}`;
    const entry = settled.get(key);
    if (entry) entry.count++;
    else settled.set(key, { type, stack, why, count: 1 });
  };
  // The handles live TLS connections run over: each connection is one TLSWRAP, not also its TCPWRAP.
  const underTls = new Set<object>();
  for (const record of ctx.table.live.values()) {
    if (record.kind.type !== 'TLSWRAP') continue;
    const resource = ResourceTable.resolve(record);
    const under = resource && isAlive('TLSWRAP', resource) ? streamUnder('TLSWRAP', resource) : undefined;
    if (under) underTls.add(under);
  }
  for (const [asyncId, record] of ctx.table.live) {
    const resource = ResourceTable.resolve(record);
    if (resource !== undefined && underTls.has(resource)) continue;
    if (resource === undefined) {
      // Collected without a destroy event: it is not alive.
      ctx.table.destroy(asyncId);
      noteSettled(record.kind.type, record.stack, 'collected');
      continue;
    }
    const type = record.kind.type;
    if (!isAlive(type, resource)) {
      if (isClosing(type, resource)) noteSettled(type, record.stack, 'closing');
      continue;
    }
    const described = describe(type, resource, now);
    const { label, details } = described;
    const state = described.state === 'ref' && ctx.unrefAtExit?.has(record) ? 'unref' : described.state;
    const stack = ctx.table.stackOf(record);
    const createdBy = ctx.table.createdByOf(record);
    const ancestor = createdBy >= 0 ? ctx.table.ancestors[createdBy] : undefined;
    // Grouped by where the ancestor's code is, not by which ancestor: 20 sockets accepted by one server are one group.
    const key = rawGroupKey(label, state, stack, ancestor?.stack ?? -1, record.test);
    const entry: WireEntry = { id: asyncId, ageMs: Math.max(0, Math.round(now - record.createdAt)), trigger: record.trigger };
    if (details) entry.details = details;
    groups.add(
      key,
      () => {
        const head: SampleHead = { type, label, state, stack, createdBy: ancestor?.stack ?? -1, createdByAsync: ancestor?.asyncId ?? -1 };
        const test = testName(record.test);
        if (test !== undefined) head.test = test;
        return head;
      },
      entry,
    );
  }
  return groups;
}

/** The frames of every stack the samples point at, source-mapped once per stack. */
function referencedStacks(table: StackTable, profiles: WireProfile[], settled: Settled[]): Record<string, WireFrame[]> {
  const stacks: Record<string, WireFrame[]> = {};
  const settledAsSamples = settled.map((s) => ({ stack: s.stack, createdBy: -1, waitingOn: -1 }));
  for (const samples of [...profiles.map((p) => p.samples), settledAsSamples]) {
    for (const sample of samples) {
      for (const id of [sample.stack, sample.createdBy, sample.waitingOn ?? -1]) {
        if (id < 0 || stacks[id] !== undefined) continue;
        let frames = mappedStacks.get(id);
        if (frames === undefined) {
          frames = mapFrames(table.frames[id] ?? []);
          mappedStacks.set(id, frames);
        }
        stacks[id] = frames;
      }
    }
  }
  return stacks;
}

function countActive(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const name of process.getActiveResourcesInfo()) out[name] = (out[name] ?? 0) + 1;
  } catch {
    // not on this Node
  }
  return out;
}
