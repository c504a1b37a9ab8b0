/**
 * Pending promises of one process, for the `async` profile: Go's goroutine dump for
 * Node. A promise gets a record only when the stack budget lets it take a creation
 * stack; a record lives until the promise settles or is collected, so promises that
 * settle cost a hook call and a counter.
 *
 * What a report shows is one entry per parked chain, not one per promise: an async
 * function parked at `await ch.send(v)` leaves three pending promises (its own, the
 * await's, and the one `send` returned), and the one a person needs is the await, with
 * the promise it waits on beside it.
 */
import { rawGroupKey } from '../transport/group-identity.js';
import type { SnapshotMessage, WireProfileDescriptor } from '../transport/messages.js';
import { asOwn, isOwnActivity } from './own-activity.js';
import type { PromiseListener } from './promise-source.js';
import type { StackBoundary } from './resource-source.js';
import { SampleGroups, type SampleHead } from './sample-groups.js';
import type { ProfileSource } from './snapshot.js';
import { PromiseSampler } from './promise-sampler.js';
import type { RawStack, StackTable } from './stack-table.js';
import { currentTest, testName } from './test-context.js';
import { nodeTracksPromises } from './resource-hook.cjs';

/** How a promise came to be, from V8's parent argument and the top frame of its stack. */
export const enum PromiseKind {
  /** Made by `await` or `.then`/`.catch`/`.finally`: waits on its parent. */
  Waiting = 0,
  /** `new Promise`, `Promise.resolve`, `Promise.all`…: settled by whoever holds its resolvers. */
  Root = 1,
  /** An async function's own promise: pending while the function is suspended at one of its awaits. */
  AsyncFunction = 2,
  /**
   * The `.then` Promise.all/race/any/allSettled made on one of its elements: part of the
   * combinator's chain, never a parked chain of its own. While the combined promise is
   * pending, whoever waits on it is the end; once it settled (a race won), a loser's
   * reaction is a leftover that parks nobody.
   */
  Combinator = 3,
}

/** The builtin frame of a combinator, as V8 names it (`Function.race` on Node 20, `Promise.race` later). */
const COMBINATOR = /^(?:Function|Promise)\.(?:all|allSettled|any|race)$/;

const RECORD = Symbol('leakprof.promise');

type Tracked = Promise<unknown> & { [RECORD]?: PromiseRecord };

/**
 * A promise's record, looked up at every promise's init (its parent's) and settle. A property
 * on the promise costs nothing when promises share a few shapes (Node 22 and later); where Node
 * gives every promise properties of its own (nodeTracksPromises), their shapes are many, and
 * the lookup in a WeakMap (a promise with no identity hash is answered at once) cost a tenth as
 * much, measured on a million awaits (33 ns a settle by property, 3 ns by WeakMap, Node 20).
 */
interface RecordOf {
  get(promise: Tracked): PromiseRecord | undefined;
  set(promise: Tracked, record: PromiseRecord): void;
}
const byProperty: RecordOf = {
  get: (promise) => promise[RECORD],
  set: (promise, record) => void (promise[RECORD] = record),
};
function byWeakMap(): RecordOf {
  const records = new WeakMap<Tracked, PromiseRecord>();
  return { get: (promise) => records.get(promise), set: (promise, record) => void records.set(promise, record) };
}

export class PromiseRecord {
  /** Interned stack id once resolved; -2 before. */
  stack = -2;
  /** The test (test-context.ts) whose code made it, or -1. */
  readonly test: number = currentTest();
  /**
   * Some promise waits on this one (an await, a .then), sampled or not. A waiter settles only
   * after what it waits on, so while this one is pending, so is its waiter, further along.
   */
  waited = false;
  /**
   * Weak once the record has lived past the job that made it (`settleIn`): a WeakRef made in a
   * flood of microtasks costs more than the capture (V8 keeps every new WeakRef's target in a set
   * until the job ends, and a flood is one job), and most records go before that.
   */
  target: WeakRef<Promise<unknown>> | undefined;
  constructor(
    readonly id: number,
    readonly createdAt: number,
    /** Until a snapshot needs it: the stack as V8 took it, not yet read (most promises settle before). */
    public raw: RawStack | undefined,
    public kind: PromiseKind,
    readonly parent: PromiseRecord | undefined,
    /** The promise, held until `settleIn` makes the reference weak (or it settles). */
    public held: Promise<unknown> | undefined,
    /** How many promises this one stands for (1 unless the promises were sampled). */
    readonly weight: number,
  ) {
    this.origin = parent !== undefined && weight !== 1 ? parent.origin : id;
  }
  /** The id of the sampled root this one was taken with (its own id when it is that root): things taken together. */
  readonly origin: number;

  /** The promise, unless the garbage collector took it. */
  promise(): Promise<unknown> | undefined {
    return this.held ?? this.target?.deref();
  }
}

/**
 * The async profile (`--promises`): promises nothing settles and async functions parked at an
 * await. A pending one in a process that called process.exit() was not parked: its code stopped with the process.
 */
export const PROMISES_PROFILE: WireProfileDescriptor = {
  name: 'async',
  item: 'task',
  sampleTypes: [{ type: 'async', unit: 'count', of: 'count' }],
  holdsProcess: false,
  check: { flag: 'max-promises', limit: 0, endsWithExitCall: true },
};

/** A chain of waits longer than this is cut: its root is reported as unknown. */
const MAX_CHAIN = 64;
/**
 * Records whose promise gets its WeakRef at once, between two `settleIn`s (one a turn of the loop at most): few
 * cost little, and a flood's records (a million awaits in one job) wait for the next turn.
 */
const WEAK_AT_ONCE = 64;

export class PromiseTable implements PromiseListener, ProfileSource {
  readonly descriptor = PROMISES_PROFILE;
  readonly live = new Map<number, PromiseRecord>();
  created = 0;
  settledCount = 0;
  stacked = 0;
  /** Bumped when a tracked promise is made or settles: the heartbeat skips writing when nothing changed. */
  changes = 0;
  boundary: StackBoundary | undefined;
  private readonly sampler: PromiseSampler;
  /** Some promise stood for more than itself: counts are estimates. */
  sampled = false;
  private readonly kinds: PromiseKind[] = [];
  private readonly combinators: boolean[] = [];
  /** Parked chains the garbage collector took before they settled. */
  abandoned = 0;
  /** Records made since the last `settleIn`: their promises are still held strongly. */
  private young: PromiseRecord[] = [];
  /** WeakRefs made at once since the last `settleIn` (at most WEAK_AT_ONCE a job). */
  private youngWeak = 0;
  private readonly recordOf: RecordOf = nodeTracksPromises ? byWeakMap() : byProperty;

  constructor(
    private readonly stacks: StackTable,
    stackBudgetPerSecond: number,
  ) {
    this.sampler = new PromiseSampler(stackBudgetPerSecond);
  }

  init(promise: Tracked, parent: Tracked | undefined): void {
    this.created++;
    const sampler = this.sampler;
    let parentRecord: PromiseRecord | undefined;
    let weight: number;
    if (parent !== undefined && (parentRecord = this.recordOf.get(parent)) !== undefined) {
      parentRecord.waited = true;
      // A promise that waits on a sampled one is taken with it: the chain is seen whole.
      weight = parentRecord.weight;
    } else {
      // Waiting on a promise not taken: not taken either (unless every promise is).
      if (parent !== undefined && sampler.mean > 1) return;
      if (--sampler.countdown > 0) return;
      weight = sampler.take();
    }
    if (isOwnActivity()) return;
    const started = sampler.clock();
    const raw = this.stacks.captureLazy(this.boundary!);
    if (raw === undefined) return;
    this.stacked++;
    this.changes++;
    // Root or async function is told by the stack's top frame: decided when the stack is read.
    const kind = parent !== undefined ? PromiseKind.Waiting : PromiseKind.Root;
    if (weight > 1) this.sampled = true;
    const record = new PromiseRecord(this.created, performance.now(), raw, kind, parentRecord, promise, weight);
    this.recordOf.set(promise, record);
    this.live.set(record.id, record);
    // The first few of a job get their WeakRef at once (cheap when few): a program that makes a promise and ends in
    // that job (nothing after it, so no next turn) must see it collected at exit when nothing reaches it any more.
    if (this.youngWeak < WEAK_AT_ONCE) {
      this.youngWeak++;
      record.target = new WeakRef(promise);
      record.held = undefined;
    } else if (this.young.push(record) === 1) asOwn(this.settleInSoon);
    // The stack and its record: what a sample costs here.
    sampler.charge(started);
  }

  settled(promise: Tracked): void {
    this.settledCount++;
    const record = this.recordOf.get(promise);
    if (record !== undefined && this.live.delete(record.id)) {
      record.held = undefined;
      this.changes++;
    }
  }

  /**
   * The records made since the last call that are still pending hold their promises weakly from
   * now on: on the next turn of the loop after they were made, and before anything asks whether a
   * promise was collected (a snapshot, the GC before one). A held promise is never collected; a
   * WeakRef made in the current job holds its promise until the job ends, as one made at init did.
   */
  /** On the loop's next turn, a new job: the flood that made them is over, and a WeakRef made then costs little. */
  private readonly settleInSoon = (): void => {
    setImmediate(() => asOwn(() => this.settleIn())).unref();
  };

  settleIn(): void {
    const young = this.young;
    this.youngWeak = 0;
    if (young.length === 0) return;
    this.young = [];
    for (const record of young) {
      if (record.held === undefined) continue;
      record.target = new WeakRef(record.held);
      record.held = undefined;
    }
  }

  private resolveStack(record: PromiseRecord): void {
    // With more than one promise hook, Node calls ours through its dispatcher: a frame to drop when it is there.
    record.stack = this.stacks.resolve(record.raw!, 'node:internal/promise_hooks');
    record.raw = undefined;
    if (record.stack < 0) return;
    if (record.kind === PromiseKind.Root) record.kind = this.kindOf(record.stack);
    else if (record.kind === PromiseKind.Waiting && this.isCombinator(record.stack)) record.kind = PromiseKind.Combinator;
  }

  /** Made by `.then` inside a combinator: one of the first builtin frames is Promise.all/race/any/allSettled. */
  private isCombinator(stack: number): boolean {
    let yes = this.combinators[stack];
    if (yes === undefined) {
      const frames = this.stacks.frames[stack] ?? [];
      yes = frames.slice(0, 3).some((f) => f.file === 'node:<builtin>' && COMBINATOR.test(f.fn));
      this.combinators[stack] = yes;
    }
    return yes;
  }

  /** Without a parent, a promise whose stack starts in a builtin (`new Promise`) is a root; one that starts in a function's own code is that async function's promise. */
  private kindOf(stack: number): PromiseKind {
    let kind = this.kinds[stack];
    if (kind === undefined) {
      const top = this.stacks.frames[stack]?.[0];
      kind = top === undefined || top.file === 'node:<builtin>' ? PromiseKind.Root : PromiseKind.AsyncFunction;
      this.kinds[stack] = kind;
    }
    return kind;
  }

  sample(now: number, maxEntries: number): SampleGroups {
    const groups = new SampleGroups(maxEntries);
    const collected: number[] = [];
    const ends: PromiseRecord[] = [];
    this.settleIn();
    for (const [id, record] of this.live) {
      if (record.promise() === undefined) {
        // Never settled, and nobody can reach it any more: the garbage collector took it. It holds nothing
        // and nothing waits for it: counted, not reported (a parked task is a pending promise still reachable).
        // Only the WeakRef says so: a reachable promise is never counted as collected, stack or not.
        // Its stack is not read (an await's own promise never settles: under a flood most records end here).
        collected.push(id);
        if (record.raw === undefined ? this.isCandidate(record) : record.kind === PromiseKind.Waiting && !record.waited) this.abandoned += record.weight;
        continue;
      }
      if (record.raw !== undefined) this.resolveStack(record);
      if (this.isCandidate(record)) ends.push(record);
    }
    for (const id of collected) this.live.delete(id);

    // Where each parked async function was called: its own promise's stack, minus the function itself (Go's "created by").
    const startedAt = new Map<string, number>();
    for (const record of this.live.values()) {
      if (record.kind !== PromiseKind.AsyncFunction || record.promise() === undefined) continue;
      const fn = this.stacks.topFunction[record.stack] ?? '';
      if (fn !== '' && !startedAt.has(fn)) startedAt.set(fn, this.stacks.tailOf(record.stack));
    }
    // Async functions parked at an await of their own that is listed: an await on one of them is not listed too.
    const parkedIn = new Set<string>();
    for (const record of ends) if (record.kind === PromiseKind.Waiting) parkedIn.add(this.stacks.topFunction[record.stack] ?? '');
    for (const record of ends) {
      const parent = record.parent;
      if (parent?.kind === PromiseKind.AsyncFunction && this.live.has(parent.id) && parkedIn.has(this.stacks.topFunction[parent.stack] ?? '')) continue;
      const root = this.rootOf(record);
      if (root?.raw !== undefined) this.resolveStack(root);
      const label = record.kind === PromiseKind.Waiting ? 'await' : 'promise';
      const waitingOn = root !== undefined && root !== record ? root.stack : -1;
      const calledFrom = record.kind === PromiseKind.Waiting ? (startedAt.get(this.stacks.topFunction[record.stack] ?? '') ?? -1) : -1;
      groups.add(
        rawGroupKey(label, 'pending', record.stack, waitingOn, record.test, calledFrom),
        () => head(label, record.stack, waitingOn, calledFrom, testName(record.test)),
        { id: record.id, ageMs: Math.max(0, Math.round(now - record.createdAt)), trigger: root?.id ?? 0 },
        record.weight,
        record.origin,
      );
    }
    return groups;
  }

  /**
   * Could stand for a parked chain: not an async function's own promise (its await says
   * where it is parked), not a combinator's reaction on an element (whoever waits on the
   * combined promise is the end, if anyone), not a promise something else still waits on (the waiter is
   * further along), and not a `.then` V8 made with no code of anyone's on the stack (an
   * async function returning a promise: the await on that function says more).
   */
  private isCandidate(record: PromiseRecord): boolean {
    if (record.kind === PromiseKind.AsyncFunction || record.kind === PromiseKind.Combinator || record.waited) return false;
    return record.kind !== PromiseKind.Waiting || this.stacks.topFunction[record.stack] !== '' || this.hasCode(record.stack);
  }

  private hasCode(stack: number): boolean {
    return (this.stacks.frames[stack] ?? []).some((f) => f.file !== 'node:<builtin>');
  }

  /** The tracked promise at the far end of a chain of waits: the one that has to settle first. */
  private rootOf(record: PromiseRecord): PromiseRecord | undefined {
    let at = record;
    for (let i = 0; i < MAX_CHAIN && at.parent !== undefined; i++) at = at.parent;
    return at.parent === undefined ? at : undefined;
  }

  /**
   * Reads every stack not read yet, before a GC that decides what is parked: an unread
   * stack keeps its frames' functions and receivers, and through them the very promises
   * (a Promise.race's loser) that nothing else can reach any more.
   */
  releaseStacks(): void {
    this.settleIn();
    for (const record of this.live.values()) if (record.raw !== undefined) this.resolveStack(record);
  }

  /** The heartbeat's turn: relearn the creation rate. */
  tick(): void {
    this.sampler.adapt();
  }

  annotate(message: SnapshotMessage): void {
    message.promiseCounts = { created: this.created, settled: this.settledCount, stacked: this.stacked, abandoned: this.abandoned, sampled: this.sampled };
  }
}

function head(label: string, stack: number, waitingOn: number, calledFrom: number, test: string | undefined): SampleHead {
  const out: SampleHead = { type: label, label, state: 'pending', stack, createdBy: calledFrom, createdByAsync: -1 };
  if (test !== undefined) out.test = test;
  if (waitingOn >= 0) out.waitingOn = waitingOn;
  return out;
}
