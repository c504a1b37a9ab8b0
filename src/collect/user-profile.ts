/**
 * Users' own profiles, Go's runtime/pprof `NewProfile` for Node:
 *
 *   import { profile } from 'leakprof';
 *   const conns = profile('db-connections');
 *   conns.add(conn, { labels: { pool: 'main' } });   // when it is opened
 *   conns.remove(conn);                               // when it is closed
 *
 * Items are grouped by the stack that called `add` (and their labels), and show in `run`'s
 * text and JSON, `--pprof` and `check` (`--max-db-connections`, `--max db-connections=<n>`) like
 * the built-in profiles: the descriptor declared here is all the rest of leakprof needs.
 *
 * The handle `profile()` returns finds the process's collector through an object registered on
 * the global (every collector publishes itself there: the preload's under `leakprof run/check`,
 * the one the verification API starts otherwise), so a second copy of leakprof in the program
 * reaches the same collector. Without one, `add` and `remove` are a property read and a return:
 * nothing is kept (bench/user-profile.js).
 *
 * Items are held weakly (objects) or by value (strings, numbers): leakprof never keeps an item
 * alive, so a heap snapshot shows who really holds it.
 */
import { HEAP_GROWTH, PROFILE_NAME, type WireProfileDescriptor } from '../transport/messages.js';
import { HEAP_PROFILE } from './heap-profile.js';
import { LISTENERS_PROFILE } from './listener-table.js';
import { PROMISES_PROFILE } from './promise-table.js';
import { HANDLES_PROFILE } from './resource-table.js';
import { SampleGroups, type SampleHead } from './sample-groups.js';
import type { ProfileSource } from './snapshot.js';
import type { CaptureBoundary, RawStack, StackTable } from './stack-table.js';
import { currentTest, testName } from './test-context.js';
import { rawGroupKey } from '../transport/group-identity.js';

export interface ProfileOptions {
  /** What to do about an item left in the profile: the report's `hint:` and the end of check's one-line message. */
  hint?: string;
  /** Items `check` allows when no flag says otherwise (default 0). */
  limit?: number;
  /** What one item is called in `--debug 2` (default `item`). */
  item?: string;
}

export interface AddOptions {
  /** Grouped by these too (keep them few-valued: a label per item makes a group per item). */
  labels?: Record<string, string | number | boolean>;
  /**
   * Frames to leave out above the caller of `add` (Go's skip): 1 when `add` is called from a
   * helper (`register()`), so items are grouped by who called the helper.
   */
  skip?: number;
}

/** What the collector hands a profile handle: shared by every copy of leakprof in the process. */
export interface ProfileSink {
  add(item: unknown, labels: AddOptions['labels'], boundary: CaptureBoundary, skip?: number): void;
  remove(item: unknown): boolean;
  readonly size: number;
}

export interface ProfileHost {
  userProfile(name: string, options: ProfileOptions): ProfileSink;
}

/**
 * Where the process's collector is, for every copy of leakprof loaded in it: one object on the
 * global, read once per module; a property of it is then as cheap to read as a local.
 */
const SLOT = ((globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.profileHost')] ??= { host: undefined }) as { host: ProfileHost | undefined };

/** The collector of this process says it is there (Collector's constructor). */
export function publishProfileHost(host: ProfileHost): void {
  SLOT.host = host;
}

/** leakprof's own profiles and check's kinds: a user's profile may not take their names. */
const RESERVED = new Set([HANDLES_PROFILE.name, PROMISES_PROFILE.name, LISTENERS_PROFILE.name, HEAP_PROFILE.name, HEAP_GROWTH]);

/**
 * A named set of live things with the stacks that added them. Made by `profile(name)`; cheap
 * when leakprof is not collecting (no collector: nothing is kept).
 */
export class Profile {
  #sink: ProfileSink | undefined;

  constructor(
    readonly name: string,
    private readonly options: ProfileOptions = {},
  ) {}

  /** Adds an item (an object or a value), grouped by the stack of this call. Adding one already in does nothing. */
  add(item: unknown, options?: AddOptions): void {
    const sink = this.#sink ?? this.#attach();
    if (sink !== undefined) sink.add(item, options?.labels, Profile.prototype.add, options?.skip);
  }

  /** Removes an item; true if it was in the profile. */
  remove(item: unknown): boolean {
    return this.#sink !== undefined && this.#sink.remove(item);
  }

  /** Items in the profile now (0 when leakprof is not collecting). */
  get count(): number {
    return this.#sink?.size ?? 0;
  }

  /** The collector, once there is one: the preload's from the start, or the verification API's once it started. */
  #attach(): ProfileSink | undefined {
    const host = SLOT.host;
    return host === undefined ? undefined : (this.#sink = host.userProfile(this.name, this.options));
  }
}

/**
 * A profile of your own: `profile('db-connections')`. The same name gives a profile with the
 * same items (one profile per name in a process, however many modules ask for it).
 */
export function profile(name: string, options: ProfileOptions = {}): Profile {
  checkProfileName(name);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new TypeError(`leakprof: profile "${name}": limit must be a whole number (0 or more), got ${String(options.limit)}`);
  }
  return new Profile(name, options);
}

export function checkProfileName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !PROFILE_NAME.test(name)) {
    throw new TypeError(`leakprof: a profile's name is lower case letters, digits and dashes, starting with a letter (it names a flag, --max-<name>), got ${JSON.stringify(name)}`);
  }
  if (RESERVED.has(name)) throw new TypeError(`leakprof: "${name}" is leakprof's own profile or kind: give yours another name`);
}

class Item {
  /** The group it is counted in, once its stack was read (at the first snapshot after it was added). */
  group: Group | undefined = undefined;
  constructor(
    readonly id: number,
    readonly createdAt: number,
    readonly labels: Record<string, string> | undefined,
    readonly test: number,
    public raw: RawStack | undefined,
    readonly skip: number,
  ) {}
}

interface Group {
  head: SampleHead;
  items: Set<Item>;
}

/** The collector's side of a user profile: its items, grouped by the stack of `add`. */
export class UserProfileTable implements ProfileSource, ProfileSink {
  readonly descriptor: WireProfileDescriptor;
  private readonly objects = new WeakMap<object, Item>();
  private readonly values = new Map<unknown, Item>();
  /** Added since the last snapshot: their stacks are read then, once (most items of a busy profile come and go before). */
  private readonly unread = new Set<Item>();
  private readonly groups = new Map<string, Group>();
  private ids = 0;
  size = 0;
  /** Bumped on every add and remove: the heartbeat writes only when something changed. */
  changes = 0;

  constructor(
    name: string,
    options: ProfileOptions,
    private readonly stacks: StackTable,
  ) {
    this.descriptor = {
      name,
      item: options.item ?? 'item',
      sampleTypes: [{ type: name, unit: 'count', of: 'count' }],
      holdsProcess: false,
      check: { flag: `max-${name}`, limit: options.limit ?? 0 },
      hint: options.hint ?? `added to profile "${name}" and never removed: call remove() for it when it is closed or done`,
      user: true,
    };
  }

  add(item: unknown, labels: AddOptions['labels'], boundary: CaptureBoundary, skip = 0): void {
    const isObject = (typeof item === 'object' && item !== null) || typeof item === 'function';
    if (isObject ? this.objects.has(item as object) : this.values.has(item)) return;
    const frames = Number.isInteger(skip) && skip > 0 ? Math.min(skip, 32) : 0;
    const raw = this.stacks.captureLazy(boundary, this.stacks.depth + frames);
    const entry = new Item(++this.ids, performance.now(), labels === undefined ? undefined : stringLabels(labels), currentTest(), raw, frames);
    if (isObject) this.objects.set(item as object, entry);
    else this.values.set(item, entry);
    this.unread.add(entry);
    this.size++;
    this.changes++;
  }

  remove(item: unknown): boolean {
    const isObject = (typeof item === 'object' && item !== null) || typeof item === 'function';
    const entry = isObject ? this.objects.get(item as object) : this.values.get(item);
    if (entry === undefined) return false;
    if (isObject) this.objects.delete(item as object);
    else this.values.delete(item);
    if (entry.group !== undefined) entry.group.items.delete(entry);
    else this.unread.delete(entry);
    this.size--;
    this.changes++;
    return true;
  }

  sample(now: number, maxEntries: number): SampleGroups {
    for (const entry of this.unread) this.place(entry);
    this.unread.clear();
    const out = new SampleGroups(maxEntries);
    for (const [key, group] of this.groups) {
      if (group.items.size === 0) {
        this.groups.delete(key);
        continue;
      }
      for (const entry of group.items) out.add(key, () => group.head, { id: entry.id, ageMs: Math.max(0, Math.round(now - entry.createdAt)), trigger: 0 });
    }
    return out;
  }

  /** Reads an item's stack and puts it in its group: by that stack, its labels and its test. */
  private place(entry: Item): void {
    const stack = entry.raw === undefined ? -1 : this.stacks.resolve(entry.raw, undefined, entry.skip);
    entry.raw = undefined;
    const labelText = entry.labels === undefined ? '' : Object.entries(entry.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    const key = rawGroupKey(labelText, 'added', stack, -1, entry.test);
    let group = this.groups.get(key);
    if (group === undefined) {
      const head: SampleHead = {
        type: this.descriptor.name,
        label: labelText === '' ? this.descriptor.name : `${this.descriptor.name} {${labelText}}`,
        state: 'added',
        stack,
        createdBy: -1,
        createdByAsync: -1,
      };
      if (entry.labels !== undefined) head.labels = entry.labels;
      const test = testName(entry.test);
      if (test !== undefined) head.test = test;
      group = { head, items: new Set() };
      this.groups.set(key, group);
    }
    group.items.add(entry);
    entry.group = group;
  }
}

/** Labels as strings, in key order: `{ b: 1, a: 'x' }` and `{ a: 'x', b: '1' }` are one group. */
function stringLabels(labels: NonNullable<AddOptions['labels']>): Record<string, string> | undefined {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const key of keys) out[key] = String(labels[key]);
  return out;
}
