/**
 * Live resources of one process: exact counts per type, and one small record per live
 * resource (its type, creation time, interned stack id and a handle on the object for
 * the liveness and detail checks made at snapshot time).
 */
import type { WireTypeCount } from '../transport/messages.js';
import { isOwnActivity } from './own-activity.js';
import { ALWAYS_STACKED_TYPES, EPHEMERAL_TYPES, destroyedOnClose, isInterval } from './resource-kinds.js';
import type { ResourceListener, StackBoundary } from './resource-source.js';
import { StackBudget } from './stack-budget.js';
import type { StackTable } from './stack-table.js';
import type { StackMode } from '../transport/messages.js';

export interface LiveRecord {
  readonly type: string;
  readonly createdAt: number;
  readonly trigger: number;
  readonly stack: number;
  readonly createdBy: number;
  readonly createdByAsync: number;
  /** The resource itself, or a WeakRef to it for kinds destroyed only on collection. */
  readonly target: object;
  readonly weak: boolean;
  readonly count: WireTypeCount;
}

export class ResourceTable implements ResourceListener {
  readonly live = new Map<number, LiveRecord>();
  readonly counts = new Map<string, WireTypeCount>();
  /** Bumped on every tracked init/destroy: the heartbeat skips writing when nothing changed. */
  changes = 0;
  boundary: StackBoundary | undefined;
  private readonly budget: StackBudget;

  constructor(
    private readonly stacks: StackTable,
    private readonly mode: StackMode,
    stackBudgetPerSecond: number,
  ) {
    this.budget = new StackBudget(stackBudgetPerSecond);
  }

  init(asyncId: number, type: string, triggerAsyncId: number, resource: object): void {
    if (isOwnActivity()) return;
    let count = this.counts.get(type);
    if (count === undefined) {
      count = { created: 0, live: 0, stacked: 0 };
      this.counts.set(type, count);
    }
    count.created++;
    if (EPHEMERAL_TYPES.has(type)) return;
    count.live++;
    this.changes++;

    let stack = -1;
    if (this.mode === 'all' || (this.mode === 'auto' && (ALWAYS_STACKED_TYPES.has(type) || isInterval(type, resource) || this.budget.take()))) {
      stack = this.stacks.capture(this.boundary!);
      if (stack >= 0) count.stacked++;
    }
    let createdBy = -1;
    let createdByAsync = -1;
    if (stack >= 0 && !this.stacks.hasUserFrame[stack]) {
      // Go's "created by": created inside a library or a callback; blame the nearest ancestor that has user code.
      const parent = this.live.get(triggerAsyncId);
      if (parent !== undefined) {
        if (parent.stack >= 0 && this.stacks.hasUserFrame[parent.stack]) {
          createdBy = parent.stack;
          createdByAsync = triggerAsyncId;
        } else if (parent.createdBy >= 0) {
          createdBy = parent.createdBy;
          createdByAsync = parent.createdByAsync;
        }
      }
    }
    const weak = !destroyedOnClose(type);
    this.live.set(asyncId, {
      type,
      createdAt: performance.now(),
      trigger: triggerAsyncId,
      stack,
      createdBy,
      createdByAsync,
      target: weak ? new WeakRef(resource) : resource,
      weak,
      count,
    });
  }

  destroy(asyncId: number): void {
    const record = this.live.get(asyncId);
    if (record === undefined) return;
    this.live.delete(asyncId);
    record.count.live--;
    this.changes++;
  }

  /** The resource behind a record, or undefined once it was collected. */
  static resolve(record: LiveRecord): object | undefined {
    return record.weak ? (record.target as WeakRef<object>).deref() : record.target;
  }
}
