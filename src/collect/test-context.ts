/**
 * Which test is running: the test (or hook) whose code created a resource, carried in
 * async context so concurrent tests are told apart and work done after an `await` is
 * still blamed on its test. The runner integrations (./runners/) enter it; the resource
 * table reads it once per creation. Names are interned: a record holds a small number.
 *
 * Nothing here runs until a runner integration enters a test: a process that is not a
 * test runner's pays one `undefined` check per resource.
 *
 * The state is one object on `globalThis` under a registered symbol, not module variables:
 * jest loads a second copy of leakprof inside each test file's vm context (when a test
 * calls verifyNone), and the jest integration hands that context the same object.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const NONE = -1;

export interface TestContextState {
  storage: AsyncLocalStorage<number> | undefined;
  names: string[];
  ids: Map<string, number>;
  /** The runner whose process this is, once its integration has seen it at work. */
  runner: string | undefined;
  /** A fallback for runners that only say which test is current, serially (read when no async context says). */
  serialProbe: (() => string | undefined) | undefined;
  /** Warnings for the report (a test clearing a timer it did not make), deduplicated. */
  notes: string[];
}

export const TEST_CONTEXT_KEY = Symbol.for('leakprof.testContext');

const globals = globalThis as Record<symbol, unknown>;
const state = (globals[TEST_CONTEXT_KEY] ??= {
  storage: undefined,
  names: [],
  ids: new Map(),
  runner: undefined,
  serialProbe: undefined,
  notes: [],
} satisfies TestContextState) as TestContextState;

const MAX_NOTES = 20;

export function addTestNote(note: string): void {
  if (state.notes.length < MAX_NOTES && !state.notes.includes(note)) state.notes.push(note);
}

/** A runner integration that met internals of a shape it does not know: its tests run unnamed, as without leakprof. */
export function noteUnrecognised(runner: string): void {
  addTestNote(`${runner}: could not name tests (unrecognised runner internals); leaks are reported without test names`);
}

export function testNotes(): readonly string[] {
  return state.notes;
}

export function noteRunner(name: string): void {
  state.runner ??= name;
}

export function testRunner(): string | undefined {
  return state.runner;
}

export function internTest(name: string): number {
  let id = state.ids.get(name);
  if (id === undefined) {
    id = state.names.length;
    state.names.push(name);
    state.ids.set(name, id);
  }
  return id;
}

/** The interned id of the current test, or -1. Called on every tracked resource: keep it cheap. */
export function currentTest(): number {
  if (state.storage === undefined) return NONE;
  const id = state.storage.getStore();
  if (id !== undefined && id !== NONE) return id;
  if (state.serialProbe === undefined) return NONE;
  const name = state.serialProbe();
  return name === undefined ? NONE : internTest(name);
}

/** The current test's name (full path), for naming what is declared inside it and for verifyNone. */
export function currentTestName(): string | undefined {
  return testName(currentTest());
}

export function testName(id: number): string | undefined {
  return id >= 0 ? state.names[id] : undefined;
}

function store(): AsyncLocalStorage<number> {
  return (state.storage ??= new AsyncLocalStorage<number>());
}

/** Runs `fn` as the test `name`: what it creates, now or after an await, is that test's. */
export function runInTest<T>(name: string, fn: () => T): T {
  return store().run(internTest(name), fn);
}

/** Runs `fn` as no test: what it creates is named from the source, if at all (a runner whose objects named nothing). */
export function runOutsideTests<T>(fn: () => T): T {
  return store().run(NONE, fn);
}

/**
 * Makes `name` the test of the current async context from here on (or none): for runners
 * that only announce "test X starts" from inside their own async function, just before
 * they call the test.
 */
export function enterTest(name: string | undefined): void {
  store().enterWith(name === undefined ? NONE : internTest(name));
}

export function setSerialProbe(probe: () => string | undefined): void {
  store();
  state.serialProbe = probe;
}

type Named = string | ((self: unknown, args: unknown[]) => string);

/**
 * `fn` wrapped to run as the test `name` (or the name computed per call, for a hook shared
 * by every test it runs around), with the same `length`: runners read it to tell a
 * done-callback test (`(t, done) => …`) from one that returns a promise.
 */
export function bindToTest<F extends (...args: never[]) => unknown>(name: Named, fn: F): F {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const current = typeof name === 'string' ? name : name(this, args);
    return runInTest(current, () => (fn as unknown as (...a: unknown[]) => unknown).apply(this, args));
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped as unknown as F;
}

const HOOKS = new Set(['before', 'after', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'suiteSetup', 'suiteTeardown', 'setup', 'teardown', 'hook']);

/** `suite > test > afterEach` → `suite > test`; `suite > before` → `suite`: what a hook runs for. */
function withoutHook(name: string): string {
  const at = name.lastIndexOf(' > ');
  const last = at < 0 ? name : name.slice(at + 3);
  return HOOKS.has(last) ? (at < 0 ? '' : name.slice(0, at)) : name;
}

/**
 * Whether a resource of test `owner` belongs to the test `current` asking: the same test
 * or its hooks (a timer made in beforeEach, checked in afterEach), one of its subtests, or
 * the suite around it (its before hooks).
 */
export function sameTest(owner: string, current: string): boolean {
  const o = withoutHook(owner);
  const c = withoutHook(current);
  if (o === '' || c === '') return o === c;
  return o === c || o.startsWith(`${c} > `) || c.startsWith(`${o} > `);
}
