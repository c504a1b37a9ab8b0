/**
 * Live resources of one process: exact counts per type, and one small record per live
 * tracked resource (creation time, interned stack id, the object for the liveness and
 * detail checks made at snapshot time). This runs on every async resource the workload
 * creates: keep it allocation-light.
 */
import type { StackMode, WireTypeCount } from '../transport/messages.js';
import { isOwnActivity } from './own-activity.js';
import { classifyType, isInterval, type TypeState } from './resource-kinds.js';
import type { ResourceListener, StackBoundary } from './resource-source.js';
import { StackBudget } from './stack-budget.js';
import type { StackTable } from './stack-table.js';
import { currentTest } from './test-context.js';

export class LiveRecord {
  /** The test (interned, test-context.ts) whose code created it, or -1. */
  readonly test: number = currentTest();
  constructor(
    readonly kind: TypeState,
    readonly createdAt: number,
    readonly trigger: number,
    readonly stack: number,
    /** Index into ResourceTable.ancestors, or -1. */
    readonly createdBy: number,
    /** The resource itself, or a WeakRef to it (TypeState.weak). */
    readonly target: object,
  ) {}
}

/** Go's "created by": the ancestor (by async trigger) whose stack has user code. */
export interface Ancestor {
  stack: number;
  asyncId: number;
}

const CLOCK_EVERY = 64;

export class ResourceTable implements ResourceListener {
  readonly live = new Map<number, LiveRecord>();
  readonly kinds = new Map<string, TypeState>();
  readonly ancestors: Ancestor[] = [];
  private readonly ancestorIds = new Map<string, number>();
  /** Bumped on every tracked init/destroy: the heartbeat skips writing when nothing changed. */
  changes = 0;
  boundary: StackBoundary | undefined;
  private readonly budget: StackBudget;
  /** A separate, smaller budget for process.nextTick callbacks: they are many, and only their ancestry matters. */
  private readonly tickBudget: StackBudget;
  /**
   * Ticks that carry user code, by async id, until they run: Node defers work such as
   * `server.listen(0, host)` to a tick, and the handle made there is blamed on the tick's creator.
   */
  private readonly ticks = new Map<number, number>();
  private inits = 0;
  private clock = performance.now();

  constructor(
    private readonly stacks: StackTable,
    private readonly mode: StackMode,
    stackBudgetPerSecond: number,
  ) {
    this.budget = new StackBudget(stackBudgetPerSecond);
    this.tickBudget = new StackBudget(Math.ceil(stackBudgetPerSecond / 4));
  }

  init(asyncId: number, type: string, triggerAsyncId: number, resource: object): void {
    if (isOwnActivity()) return;
    let kind = this.kinds.get(type);
    if (kind === undefined) {
      kind = classifyType(type, resource);
      this.kinds.set(type, kind);
    }
    kind.created++;
    if (!kind.tracked) {
      if (type === 'TickObject' && this.mode !== 'none' && this.tickBudget.take()) this.noteTick(asyncId, triggerAsyncId);
      return;
    }
    this.changes++;

    let stack = -1;
    if (this.mode === 'all' || (this.mode === 'auto' && (kind.alwaysStacked || isInterval(type, resource) || this.budget.take()))) {
      stack = this.stacks.capture(this.boundary!);
      if (stack >= 0) kind.stacked++;
    }
    // A clock read costs as much as the rest of this function: take it for stacked (rare) resources and every 64th other.
    const createdAt = stack >= 0 || ++this.inits % CLOCK_EVERY === 0 ? (this.clock = performance.now()) : this.clock;
    const createdBy = stack >= 0 && !this.stacks.hasUserFrame[stack] ? this.ancestorOf(triggerAsyncId) : -1;
    this.live.set(asyncId, new LiveRecord(kind, createdAt, triggerAsyncId, stack, createdBy, kind.weak ? new WeakRef(resource) : resource));
  }

  destroy(asyncId: number): void {
    if (this.live.delete(asyncId)) this.changes++;
    else if (this.ticks.size > 0) this.ticks.delete(asyncId);
  }

  private noteTick(asyncId: number, triggerAsyncId: number): void {
    const stack = this.stacks.capture(this.boundary!);
    if (stack < 0) return;
    const ancestor = this.stacks.hasUserFrame[stack] ? this.internAncestor(stack, asyncId) : this.ancestorOf(triggerAsyncId);
    if (ancestor >= 0) this.ticks.set(asyncId, ancestor);
  }

  /** Refreshes the coarse clock (the heartbeat calls it, so idle gaps do not age new resources). */
  tick(): void {
    this.clock = performance.now();
  }

  private ancestorOf(triggerAsyncId: number): number {
    const parent = this.live.get(triggerAsyncId);
    if (parent === undefined) return this.ticks.get(triggerAsyncId) ?? -1;
    if (parent.stack >= 0 && this.stacks.hasUserFrame[parent.stack]) return this.internAncestor(parent.stack, triggerAsyncId);
    return parent.createdBy;
  }

  private internAncestor(stack: number, asyncId: number): number {
    const key = `${stack}:${asyncId}`;
    let id = this.ancestorIds.get(key);
    if (id === undefined) {
      id = this.ancestors.length;
      this.ancestors.push({ stack, asyncId });
      this.ancestorIds.set(key, id);
    }
    return id;
  }

  /** Exact counts per type; live counts are taken from the records. */
  typeCounts(): Record<string, WireTypeCount> {
    const live = new Map<TypeState, number>();
    for (const record of this.live.values()) live.set(record.kind, (live.get(record.kind) ?? 0) + 1);
    const out: Record<string, WireTypeCount> = {};
    for (const [type, kind] of this.kinds) out[type] = { created: kind.created, live: live.get(kind) ?? 0, stacked: kind.stacked };
    return out;
  }

  /** The resource behind a record, or undefined once it was collected. */
  static resolve(record: LiveRecord): object | undefined {
    return record.kind.weak ? (record.target as WeakRef<object>).deref() : record.target;
  }
}
