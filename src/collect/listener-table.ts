/**
 * Listeners still attached, for the `listeners` profile: who added the 170,000 'change'
 * listeners that Node's MaxListenersExceededWarning only counts. A (target, event) pair
 * is watched once it holds more than `threshold` listeners; from then on every add gets
 * a creation stack (within a budget), kept in a WeakMap keyed by the listener so a
 * removed listener leaves nothing behind. Attached listeners are read off the target at
 * snapshot time.
 */
import { getEventListeners } from 'node:events';
import type { WireProfileDescriptor } from '../transport/messages.js';
import { isOwnActivity } from './own-activity.js';
import type { ListenerListener } from './listener-source.js';
import type { StackBoundary } from './resource-source.js';
import { SampleGroups, type SampleHead } from './sample-groups.js';
import { currentTest, testName } from './test-context.js';
import type { ProfileSource } from './snapshot.js';
import { StackBudget } from './stack-budget.js';
import type { StackTable } from './stack-table.js';
import { rawGroupKey } from '../transport/group-identity.js';

interface Mark {
  stack: number;
  createdAt: number;
  /** The test (test-context.ts) whose code added it, or -1. */
  test: number;
}

class WatchedPair {
  readonly marks = new WeakMap<object, Mark>();
  readonly since = performance.now();
  constructor(
    readonly target: WeakRef<object>,
    readonly event: string | symbol,
    readonly targetName: string,
    readonly emitter: boolean,
  ) {}
}

/** The listeners profile (`--listeners`): listeners still attached to a target that holds more than the threshold. */
export const LISTENERS_PROFILE: WireProfileDescriptor = {
  name: 'listeners',
  item: 'listener',
  sampleTypes: [{ type: 'listeners', unit: 'count', of: 'count' }],
  holdsProcess: false,
  check: { flag: 'max-listeners', limit: 0 },
};

type EmitterLike = { _events?: Record<string | symbol, unknown> };

export class ListenerTable implements ListenerListener, ProfileSource {
  readonly descriptor = LISTENERS_PROFILE;
  private readonly watched = new WeakMap<object, Map<string | symbol, WatchedPair>>();
  private readonly pairs: WatchedPair[] = [];
  /** EventTarget keeps no count we can read cheaply: adds minus removes, per target and type. */
  private readonly targetCounts = new WeakMap<object, Map<string, number>>();
  private readonly budget: StackBudget;
  changes = 0;

  constructor(
    private readonly stacks: StackTable,
    private readonly threshold: number,
    stackBudgetPerSecond: number,
  ) {
    this.budget = new StackBudget(stackBudgetPerSecond);
  }

  added(target: object, event: string | symbol, listener: unknown, count: number, boundary: StackBoundary): void {
    if (count <= this.threshold || isOwnActivity()) return;
    this.mark(this.pairOf(target, event, true), listener, boundary);
  }

  addedToTarget(target: object, event: string, listener: unknown, boundary: StackBoundary): void {
    if (isOwnActivity()) return;
    let counts = this.targetCounts.get(target);
    if (counts === undefined) this.targetCounts.set(target, (counts = new Map()));
    const count = (counts.get(event) ?? 0) + 1;
    counts.set(event, count);
    if (count > this.threshold) this.mark(this.pairOf(target, event, false), listener, boundary);
  }

  removedFromTarget(target: object, event: string): void {
    const counts = this.targetCounts.get(target);
    const count = counts?.get(event);
    if (counts !== undefined && count !== undefined) counts.set(event, Math.max(0, count - 1));
  }

  private pairOf(target: object, event: string | symbol, emitter: boolean): WatchedPair {
    let byEvent = this.watched.get(target);
    if (byEvent === undefined) this.watched.set(target, (byEvent = new Map()));
    let pair = byEvent.get(event);
    if (pair === undefined) {
      pair = new WatchedPair(new WeakRef(target), event, targetName(target), emitter);
      byEvent.set(event, pair);
      this.pairs.push(pair);
    }
    return pair;
  }

  private mark(pair: WatchedPair, listener: unknown, boundary: StackBoundary): void {
    this.changes++;
    if (typeof listener !== 'object' && typeof listener !== 'function') return;
    if (listener === null || pair.marks.has(listener) || !this.budget.take()) return;
    pair.marks.set(listener, { stack: this.stacks.capture(boundary), createdAt: performance.now(), test: currentTest() });
  }

  sample(now: number, maxEntries: number): SampleGroups {
    const groups = new SampleGroups(maxEntries);
    let id = 0;
    for (let i = this.pairs.length - 1; i >= 0; i--) {
      const pair = this.pairs[i]!;
      const target = pair.target.deref();
      if (target === undefined) {
        this.pairs.splice(i, 1);
        continue;
      }
      const attached = attachedListeners(target, pair);
      if (attached.length <= this.threshold) continue;
      const label = `listener '${String(pair.event)}' on ${pair.targetName}`;
      for (const listener of attached) {
        const mark = typeof listener === 'object' || typeof listener === 'function' ? pair.marks.get(listener as object) : undefined;
        const stack = mark?.stack ?? -1;
        const test = mark?.test ?? -1;
        groups.add(
          rawGroupKey(label, 'attached', stack, -1, test),
          () => {
            const head: SampleHead = { type: 'listener', label, state: 'attached', stack, createdBy: -1, createdByAsync: -1 };
            const name = testName(test);
            if (name !== undefined) head.test = name;
            return head;
          },
          { id: ++id, ageMs: Math.max(0, Math.round(now - (mark?.createdAt ?? pair.since))), trigger: 0 },
        );
      }
    }
    return groups;
  }
}

function attachedListeners(target: object, pair: WatchedPair): unknown[] {
  if (pair.emitter) {
    const list = (target as EmitterLike)._events?.[pair.event];
    return list === undefined ? [] : Array.isArray(list) ? list : [list];
  }
  try {
    return getEventListeners(target as EventTarget, pair.event as string);
  } catch {
    return [];
  }
}

function targetName(target: object): string {
  const name = (target as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'EventEmitter';
}
