/** Turns the live table into a snapshot message: groups by (label, state, stack), exact counts, capped entries. */
import type { SnapshotMessage, SnapshotReason, StackMode, WireFrame, WireProfile, WireSample } from '../transport/messages.js';
import { WIRE_VERSION } from '../transport/messages.js';
import { describe, isAlive, isClosing } from './resource-details.js';
import { ResourceTable } from './resource-table.js';
import { mapFrames } from './source-maps.js';
import type { StackTable } from './stack-table.js';
import { testName, testNotes, testRunner } from './test-context.js';

export interface SnapshotContext {
  table: ResourceTable;
  stacks: StackTable;
  stackMode: StackMode;
  maxEntries: number;
  seq: number;
}

const mappedStacks = new Map<number, WireFrame[]>();

export function buildSnapshot(ctx: SnapshotContext, reason: SnapshotReason, extra: Partial<SnapshotMessage> = {}): SnapshotMessage {
  const now = performance.now();
  const groups = new Map<string, WireSample>();
  let entriesLeft = ctx.maxEntries;
  let dropped = 0;
  let total = 0;

  const settled = new Map<string, NonNullable<SnapshotMessage['settled']>[number]>();
  const noteSettled = (type: string, stack: number, why: 'closing' | 'collected'): void => {
    const key = `${type}\u0000${stack}\u0000${why}`;
    const entry = settled.get(key);
    if (entry) entry.count++;
    else settled.set(key, { type, stack, why, count: 1 });
  };

  for (const [asyncId, record] of ctx.table.live) {
    const resource = ResourceTable.resolve(record);
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
    const { label, state, details } = describe(type, resource, now);
    const ancestor = record.createdBy >= 0 ? ctx.table.ancestors[record.createdBy] : undefined;
    // Grouped by where the ancestor's code is, not by which ancestor: 20 sockets accepted by one server are one group.
    const key = `${label}\u0000${state}\u0000${record.stack}\u0000${ancestor?.stack ?? -1}\u0000${record.test}`;
    const ageMs = Math.max(0, Math.round(now - record.createdAt));
    let sample = groups.get(key);
    if (sample === undefined) {
      sample = {
        type,
        label,
        state,
        stack: record.stack,
        createdBy: ancestor?.stack ?? -1,
        createdByAsync: ancestor?.asyncId ?? -1,
        count: 0,
        ageMinMs: ageMs,
        ageMaxMs: ageMs,
        entries: [],
      };
      const test = testName(record.test);
      if (test !== undefined) sample.test = test;
      groups.set(key, sample);
    }
    sample.count++;
    total++;
    if (ageMs < sample.ageMinMs) sample.ageMinMs = ageMs;
    if (ageMs > sample.ageMaxMs) sample.ageMaxMs = ageMs;
    if (entriesLeft > 0) {
      entriesLeft--;
      const entry: WireSample['entries'][number] = { id: asyncId, ageMs, trigger: record.trigger };
      if (details) entry.details = details;
      sample.entries.push(entry);
    } else {
      dropped++;
    }
  }

  const samples = [...groups.values()];
  const settledList = [...settled.values()];
  const stacks: Record<string, WireFrame[]> = {};
  for (const sample of [...samples, ...settledList.map((s) => ({ stack: s.stack, createdBy: -1 }))]) {
    for (const id of [sample.stack, sample.createdBy]) {
      if (id < 0 || stacks[id] !== undefined) continue;
      let frames = mappedStacks.get(id);
      if (frames === undefined) {
        frames = mapFrames(ctx.stacks.frames[id] ?? []);
        mappedStacks.set(id, frames);
      }
      stacks[id] = frames;
    }
  }
  const handles: WireProfile = { name: 'handles', total, samples };
  const typeCounts = ctx.table.typeCounts();
  const memory = process.memoryUsage();

  const runner = testRunner();
  return {
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
    stacks,
    profiles: [handles],
    typeCounts,
    active: countActive(),
    memory: {
      rss: memory.rss,
      heapTotal: memory.heapTotal,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
    },
    droppedEntries: dropped,
    ...(settledList.length > 0 ? { settled: settledList } : {}),
    ...extra,
  };
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
