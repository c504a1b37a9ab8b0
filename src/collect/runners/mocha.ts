/**
 * mocha: its interfaces (bdd, tdd, qunit) hand each test file the functions `it`,
 * `describe`, `before`… by assigning them to `globalThis` before the file is loaded. Those
 * globals are made accessors here, so what mocha assigns is wrapped: a test's function
 * runs in the context of the test's title path (`suite > test`, read from the Test object
 * mocha returns), a suite's body in its own (so hooks declared in it are named after it).
 * This works whether mocha's own code is CommonJS (≤ 11) or ESM (12), and needs no change
 * to the test files. Only in mocha's processes (its bin or its parallel workers).
 *
 * A test's or suite's path is mocha's `titlePath()` (mocha ≥ 4), else its `title` and its
 * parents' up to the root suite (mocha 3). An object of neither shape names nothing (a bare
 * title would read as the wrong test), and --verbose says the tests could not be named.
 */
import { currentTestName, noteRunner, noteUnrecognised, runInTest, runOutsideTests } from '../test-context.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
interface Titled {
  titlePath?(): string[];
  title?: unknown;
  parent?: Titled;
  root?: boolean;
}

/** `outer > inner > test`, or undefined for an object that is not one of mocha's runnables. */
function pathOf(runnable: Titled | undefined): string | undefined {
  if (!runnable || (typeof runnable !== 'object' && typeof runnable !== 'function')) return undefined;
  if (typeof runnable.titlePath === 'function') return runnable.titlePath().join(' > ');
  if (typeof runnable.title !== 'string') return undefined;
  const titles: string[] = [];
  for (let r: Titled | undefined = runnable; r && !r.root && typeof r.title === 'string'; r = r.parent) {
    if (r.title !== '') titles.unshift(r.title);
  }
  return titles.join(' > ');
}

/** Runs `fn` as the test `name`, or as no test when mocha's objects gave none. */
function runAs<T>(name: string | undefined, fn: () => T): T {
  return name === undefined ? runOutsideTests(fn) : runInTest(name, fn);
}

const TESTS = ['it', 'specify', 'test'];
const SUITES = ['describe', 'context', 'suite'];
const HOOKS = ['before', 'after', 'beforeEach', 'afterEach', 'suiteSetup', 'suiteTeardown', 'setup', 'teardown'];

/** Same length (mocha reads it to tell done-callback tests) and same source text (mocha reports it). */
function lookAlike(wrapper: Fn, fn: Fn): Fn {
  Object.defineProperty(wrapper, 'length', { value: fn.length });
  wrapper.toString = () => fn.toString();
  return wrapper;
}

function lastFunction(args: unknown[]): number {
  let at = args.length - 1;
  while (at >= 0 && typeof args[at] !== 'function') at--;
  return at;
}

function wrapTest(declare: Fn): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const at = lastFunction(args);
    if (at < 0) return declare.apply(this, args);
    const fn = args[at] as Fn;
    let name: string | undefined;
    args[at] = lookAlike(function (this: unknown, ...a: unknown[]) {
      return runAs(name, () => fn.apply(this, a));
    }, fn);
    const test = declare.apply(this, args) as Titled | undefined;
    try {
      name = pathOf(test);
    } catch {
      name = undefined;
    }
    if (name === undefined) noteUnrecognised('mocha');
    return test;
  };
}

function wrapSuite(declare: Fn): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const at = lastFunction(args);
    if (at >= 0) {
      const fn = args[at] as Fn;
      args[at] = lookAlike(function (this: Titled, ...a: unknown[]) {
        let path: string | undefined;
        try {
          path = pathOf(this);
        } catch {
          path = undefined;
        }
        if (path === undefined) noteUnrecognised('mocha');
        return runAs(path, () => fn.apply(this, a));
      } as Fn, fn);
    }
    return declare.apply(this, args);
  };
}

function wrapHook(declare: Fn, hook: string): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const at = lastFunction(args);
    if (at >= 0) {
      const fn = args[at] as Fn;
      const suite = currentTestName();
      const name = suite ? `${suite} > ${hook}` : hook;
      args[at] = lookAlike(function (this: { currentTest?: Titled } | undefined, ...a: unknown[]) {
        // An each-hook runs for one test at a time (mocha's context says which): named after it, `suite > test > afterEach`.
        const test = hook.endsWith('Each') || hook === 'setup' || hook === 'teardown' ? this?.currentTest : undefined;
        let testPath: string | undefined;
        try {
          testPath = pathOf(test);
        } catch {
          testPath = undefined;
        }
        return runInTest(testPath !== undefined ? `${testPath} > ${hook}` : name, () => fn.apply(this, a));
      } as Fn, fn);
    }
    return declare.apply(this, args);
  };
}

function trapGlobal(name: string, wrap: (fn: Fn) => Fn): void {
  const globals = globalThis as Record<string, unknown>;
  if (Object.getOwnPropertyDescriptor(globals, name)) return;
  let value: unknown;
  Object.defineProperty(globals, name, {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: unknown) => {
      noteRunner('mocha');
      value = typeof next === 'function' ? Object.assign(wrap(next as Fn), next) : next;
    },
  });
}

const MOCHA_PROCESS = /[\\/]mocha(\.c?js)?$|[\\/]_mocha$|[\\/]mocha[\\/](bin|lib)[\\/]/;

export function isMochaProcess(): boolean {
  return MOCHA_PROCESS.test(process.argv[1] ?? '');
}

export function instrumentMocha(): void {
  for (const name of TESTS) trapGlobal(name, wrapTest);
  for (const name of SUITES) trapGlobal(name, wrapSuite);
  for (const name of HOOKS) trapGlobal(name, (fn) => wrapHook(fn, name));
}
