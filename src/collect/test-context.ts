/**
 * Which test is running: the test (or hook) whose code created a resource, carried in
 * async context so concurrent tests are told apart and work done after an `await` is
 * still blamed on its test. The runner integrations (./runners/) enter it; the resource
 * table reads it once per creation. Names are interned: a record holds a small number.
 *
 * Nothing here runs until a runner integration enters a test: a process that is not a
 * test runner's pays one `undefined` check per resource.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const NONE = -1;
let storage: AsyncLocalStorage<number> | undefined;
const names: string[] = [];
const ids = new Map<string, number>();
/** The runner whose process this is, once its integration has seen it at work. */
let runner: string | undefined;
/** A fallback for runners that only say which test is current, serially (read when no async context says). */
let serialProbe: (() => string | undefined) | undefined;

export function noteRunner(name: string): void {
  runner ??= name;
}

export function testRunner(): string | undefined {
  return runner;
}

export function internTest(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}

/** The interned id of the current test, or -1. Called on every tracked resource: keep it cheap. */
export function currentTest(): number {
  if (storage === undefined) return NONE;
  const id = storage.getStore();
  if (id !== undefined && id !== NONE) return id;
  if (serialProbe === undefined) return NONE;
  const name = serialProbe();
  return name === undefined ? NONE : internTest(name);
}

/** The current test's name, for naming the tests and suites declared inside it. */
export function currentTestName(): string | undefined {
  return testName(currentTest());
}

export function testName(id: number): string | undefined {
  return id >= 0 ? names[id] : undefined;
}

function store(): AsyncLocalStorage<number> {
  return (storage ??= new AsyncLocalStorage<number>());
}

/** Runs `fn` as the test `name`: what it creates, now or after an await, is that test's. */
export function runInTest<T>(name: string, fn: () => T): T {
  return store().run(internTest(name), fn);
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
  serialProbe = probe;
}

/**
 * `fn` wrapped to run as the test `name`, with the same `length`: runners read it to tell
 * a done-callback test (`(t, done) => …`) from one that returns a promise.
 */
export function bindToTest<F extends (...args: never[]) => unknown>(name: string, fn: F): F {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    return runInTest(name, () => (fn as unknown as (...a: unknown[]) => unknown).apply(this, args));
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped as unknown as F;
}
