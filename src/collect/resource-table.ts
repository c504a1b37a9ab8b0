/**
 * Live resources of one process: exact counts per type, and one small record per live
 * tracked resource (creation time, interned stack id, the object for the liveness and
 * detail checks made at snapshot time). This runs on every async resource the workload
 * creates: keep it allocation-light.
 */
import type { StackMode, WireProfileDescriptor, WireTypeCount } from '../transport/messages.js';
import { isOwnInit, ownDestroyed } from './own-activity.js';
import { classifyType, isInterval, type TypeState } from './resource-kinds.js';
import type { ResourceListener, StackBoundary } from './resource-source.js';
import { StackBudget } from './stack-budget.js';
import type { RawStack, StackTable } from './stack-table.js';
import { currentTest } from './test-context.js';
import type { TimerStackSink } from './timer-source.js';

/** The handles profile: live async resources (handles, timers, requests), the ones that can hold the process open. */
export const HANDLES_PROFILE: WireProfileDescriptor = {
  name: 'handles',
  item: 'handle',
  sampleTypes: [{ type: 'handles', unit: 'count', of: 'count' }],
  holdsProcess: true,
  check: { flag: 'max-handles', limit: 0 },
};

export class LiveRecord {
  /** The test (interned, test-context.ts) whose code created it, or -1. */
  readonly test: number = currentTest();
  constructor(
    readonly kind: TypeState,
    /** Whole milliseconds of performance.now(): a small integer is stored in the record itself, a fraction would be a boxed number per record. */
    readonly createdAt: number,
    readonly trigger: number,
    /** Interned stack id, or -1; read it through ResourceTable.stackOf (a lazy stack is interned on first read). */
    public stack: number,
    /**
     * Index into ResourceTable.ancestors, or -1; read it through ResourceTable.createdByOf.
     * Before that, a lazy record may hold `-2 - stack` here: its direct trigger, whose
     * stack has user code, not interned as an ancestor yet (most records die before anyone asks).
     */
    public createdBy: number,
    /** The resource itself, or a WeakRef to it (TypeState.weak). */
    readonly target: object,
    /** A stack taken but not interned yet (StackTable.captureLazy); cleared once read. */
    public raw: RawStack | undefined = undefined,
  ) {}
  /** The heartbeat group it was counted in (handle-groups.ts), once a heartbeat saw it alive. */
  group: Map<number, LiveRecord> | undefined = undefined;
}

/** Go's "created by": the ancestor (by async trigger) whose stack has user code. */
export interface Ancestor {
  stack: number;
  asyncId: number;
}

const CLOCK_EVERY = 64;

/**
 * A sampled tick whose stack is not read yet. What made it is kept as it was then: the
 * trigger's link (see LiveRecord.createdBy), or the sampled tick it was queued from, left
 * unread too (stream internals queue ticks from ticks: reading each parent would read them all).
 */
interface PendingTick {
  raw: RawStack | undefined;
  asyncId: number;
  trigger: number;
  link: number;
  parent: PendingTick | undefined;
  /** The ancestor index once read (-1: none). */
  ancestor: number;
}

export class ResourceTable implements ResourceListener, TimerStackSink {
  /** A timer's stack its wrapper took (timer-source.ts, `--stacks all`), for the Timeout being made now. */
  pending: RawStack | undefined = undefined;
  readonly live = new Map<number, LiveRecord>();
  readonly kinds = new Map<string, TypeState>();
  readonly ancestors: Ancestor[] = [];
  private readonly ancestorIds = new Map<string, number>();
  /** Bumped on every tracked init/destroy: the heartbeat skips writing when nothing changed. */
  changes = 0;
  /**
   * Async ids of the tracked resources made since the heartbeat last took them (takeFresh), when
   * a heartbeat keeps groups (handle-groups.ts): what changed, so it never walks what stayed.
   */
  private fresh: number[] | undefined;
  boundary: StackBoundary | undefined;
  private readonly budget: StackBudget;
  /** A separate, smaller budget for process.nextTick callbacks: they are many, and only their ancestry matters. */
  private readonly tickBudget: StackBudget;
  /**
   * Ticks that carry user code, by async id, until they run: Node defers work such as
   * `server.listen(0, host)` to a tick, and the handle made there is blamed on the tick's creator.
   */
  private readonly ticks = new Map<number, number | PendingTick>();
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
    if (isOwnInit(asyncId, triggerAsyncId)) return;
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
    let raw: RawStack | undefined;
    let budgeted = false;
    let precise = false;
    if (this.mode === 'all' || (this.mode === 'auto' && (kind.alwaysStacked || isInterval(type, resource) || (budgeted = this.budget.take())))) {
      const started = budgeted ? performance.now() : 0;
      if (kind.constructorBoundary !== undefined && (resource as { constructor?: unknown }).constructor === kind.constructorBoundary) {
        // Lazy: most timers fire or are cleared long before a snapshot, and their stacks are never read.
        // Under `--stacks all` the setTimeout/setInterval wrapper has taken it already, in the caller's frame (cheaper).
        raw = this.pending ?? this.stacks.captureLazy(kind.constructorBoundary);
        this.pending = undefined;
        if (raw !== undefined) kind.stacked++;
      } else {
        stack = this.stacks.capture(this.boundary!);
        if (stack >= 0) kind.stacked++;
      }
      // Read the clock once: it dates the resource and prices the stack (rare kinds' stacks are free, busy kinds' are sampled).
      // Not for every timer under `--stacks all`: there every resource is stacked, and the coarse clock dates them as in the default mode.
      precise = this.mode !== 'all' || stack >= 0;
      if (precise) this.clock = performance.now();
      if (budgeted) this.budget.charge(this.clock - started);
    }
    const stacked = stack >= 0 || raw !== undefined;
    // A clock read costs as much as the rest of this function: take it for stacked (rare) resources and every 64th other.
    const createdAt = stacked && precise ? this.clock : ++this.inits % CLOCK_EVERY === 0 ? (this.clock = performance.now()) : this.clock;
    // Eager: ancestry only for a stack without user code. Lazy: not known yet, so keep the (cheap, uninterned) link for later.
    let createdBy = -1;
    if (raw !== undefined) createdBy = this.parentLink(triggerAsyncId);
    else if (stack >= 0 && !this.stacks.hasUserFrame[stack]) createdBy = this.ancestorOf(triggerAsyncId);
    this.live.set(asyncId, new LiveRecord(kind, Math.floor(createdAt), triggerAsyncId, stack, createdBy, kind.weak ? new WeakRef(resource) : resource, raw));
    kind.live++;
    this.fresh?.push(asyncId);
  }

  /** From now on, remember what is made between two takeFresh calls. */
  keepFresh(): void {
    this.fresh ??= [...this.live.keys()];
  }

  /** The async ids made since the last call (some may have ended since), oldest first. */
  takeFresh(): number[] {
    const fresh = this.fresh ?? [];
    if (this.fresh !== undefined) this.fresh = [];
    return fresh;
  }

  /** Hands ids back for the next takeFresh (ones not settled yet). */
  returnFresh(ids: number[]): void {
    if (this.fresh !== undefined) for (const id of ids) this.fresh.push(id);
  }

  /**
   * A resource made before this table existed (a --require'd module's, early-hooks.cts), with
   * the stack taken then (unread, like a lazy one) and its creation time.
   */
  adopt(asyncId: number, type: string, triggerAsyncId: number, resource: object, raw: RawStack, createdAt: number): void {
    let kind = this.kinds.get(type);
    if (kind === undefined) {
      kind = classifyType(type, resource);
      this.kinds.set(type, kind);
    }
    kind.created++;
    if (!kind.tracked || this.live.has(asyncId)) return;
    this.changes++;
    kind.stacked++;
    this.live.set(asyncId, new LiveRecord(kind, Math.floor(createdAt), triggerAsyncId, -1, this.parentLink(triggerAsyncId), kind.weak ? new WeakRef(resource) : resource, raw));
    kind.live++;
    this.fresh?.push(asyncId);
  }

  /** The record's interned stack id (or -1), interning a lazy one now. */
  stackOf(record: LiveRecord): number {
    if (record.raw !== undefined) {
      const stack = this.stacks.resolve(record.raw);
      record.raw = undefined;
      record.stack = stack;
      if (stack >= 0 && this.stacks.hasUserFrame[stack]) record.createdBy = -1;
    }
    return record.stack;
  }

  /** The record's "created by" ancestor (index into `ancestors`), or -1. */
  createdByOf(record: LiveRecord): number {
    this.stackOf(record);
    if (record.createdBy <= -2) record.createdBy = this.internAncestor(-2 - record.createdBy, record.trigger);
    return record.createdBy;
  }

  destroy(asyncId: number): void {
    ownDestroyed(asyncId);
    const record = this.live.get(asyncId);
    if (record !== undefined) {
      this.live.delete(asyncId);
      this.changes++;
      record.kind.live--;
      record.group?.delete(asyncId);
    } else if (this.ticks.size > 0) this.ticks.delete(asyncId);
  }

  private noteTick(asyncId: number, triggerAsyncId: number): void {
    // Taken lazily: a tick's stack is read only if a tracked resource is made inside it (rare), so most are never interned.
    const started = performance.now();
    const raw = this.stacks.captureLazy(this.boundary!);
    this.tickBudget.charge(performance.now() - started);
    if (raw === undefined) return;
    const parent = this.live.has(triggerAsyncId) ? undefined : this.ticks.get(triggerAsyncId);
    const pending = typeof parent === 'object' ? parent : undefined;
    const link = pending !== undefined ? -1 : this.parentLink(triggerAsyncId);
    this.ticks.set(asyncId, { raw, asyncId, trigger: triggerAsyncId, link, parent: pending, ancestor: -1 });
  }

  /** The ancestor a sampled tick stands for (itself when its stack has user code, else what made it), or -1. */
  private tickAncestor(asyncId: number): number {
    const tick = this.ticks.get(asyncId);
    if (tick === undefined || typeof tick === 'number') return tick ?? -1;
    const ancestor = this.readTick(tick);
    this.ticks.set(asyncId, ancestor);
    return ancestor;
  }

  private readTick(tick: PendingTick): number {
    if (tick.raw === undefined) return tick.ancestor;
    const stack = this.stacks.resolve(tick.raw);
    tick.raw = undefined;
    if (stack >= 0 && this.stacks.hasUserFrame[stack]) tick.ancestor = this.internAncestor(stack, tick.asyncId);
    else if (tick.parent !== undefined) tick.ancestor = this.readTick(tick.parent);
    else tick.ancestor = tick.link <= -2 ? this.internAncestor(-2 - tick.link, tick.trigger) : tick.link;
    tick.parent = undefined;
    return tick.ancestor;
  }

  /** Refreshes the coarse clock (the heartbeat calls it, so idle gaps do not age new resources). */
  tick(): void {
    this.clock = performance.now();
  }

  private ancestorOf(triggerAsyncId: number): number {
    const link = this.parentLink(triggerAsyncId);
    return link <= -2 ? this.internAncestor(-2 - link, triggerAsyncId) : link;
  }

  /** Like ancestorOf, but a trigger whose own stack has user code comes back as `-2 - stack`, not interned. */
  private parentLink(triggerAsyncId: number): number {
    const parent = this.live.get(triggerAsyncId);
    if (parent === undefined) return this.ticks.size > 0 ? this.tickAncestor(triggerAsyncId) : -1;
    const stack = this.stackOf(parent);
    if (stack >= 0 && this.stacks.hasUserFrame[stack]) return -2 - stack;
    return this.createdByOf(parent);
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

  /** Exact counts per type, kept as resources come and go. */
  typeCounts(): Record<string, WireTypeCount> {
    const out: Record<string, WireTypeCount> = {};
    for (const [type, kind] of this.kinds) out[type] = { created: kind.created, live: kind.live, stacked: kind.stacked };
    return out;
  }

  /** The resource behind a record, or undefined once it was collected. */
  static resolve(record: LiveRecord): object | undefined {
    return record.kind.weak ? (record.target as WeakRef<object>).deref() : record.target;
  }
}
