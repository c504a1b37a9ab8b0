/**
 * mocha: its interfaces (bdd, tdd, qunit) hand each test file the functions `it`,
 * `describe`, `before`… by assigning them to `globalThis` before the file is loaded. Those
 * globals are made accessors here, so what mocha assigns is wrapped: a test's function
 * runs in the context of the test's title path (`suite > test`, read from the Test object
 * mocha returns), a suite's body in its own (so hooks declared in it are named after it).
 * This works whether mocha's own code is CommonJS (≤ 11) or ESM (12), and needs no change
 * to the test files. Only in mocha's processes (its bin or its parallel workers).
 */
import { currentTestName, noteRunner, runInTest } from '../test-context.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
interface Titled {
  titlePath?(): string[];
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
    let name = typeof args[0] === 'string' ? args[0] : '';
    args[at] = lookAlike(function (this: unknown, ...a: unknown[]) {
      return runInTest(name, () => fn.apply(this, a));
    }, fn);
    const test = declare.apply(this, args) as Titled | undefined;
    if (typeof test?.titlePath === 'function') name = test.titlePath().join(' > ');
    return test;
  };
}

function wrapSuite(declare: Fn): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const at = lastFunction(args);
    if (at >= 0) {
      const fn = args[at] as Fn;
      args[at] = lookAlike(function (this: Titled, ...a: unknown[]) {
        const path = typeof this?.titlePath === 'function' ? this.titlePath().join(' > ') : String(args[0]);
        return runInTest(path, () => fn.apply(this, a));
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
        const current = typeof test?.titlePath === 'function' ? `${test.titlePath().join(' > ')} > ${hook}` : name;
        return runInTest(current, () => fn.apply(this, a));
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
