/**
 * node:test: every test, suite and hook is an AsyncResource of node:test's own `Test`
 * class, and runs its function through `runInAsyncScope`. That method is overridden on
 * `Test.prototype` so the function runs in the context of its test's full path
 * (`suite > test`, hooks `suite > before` and, per test, `suite > test > afterEach`).
 * Nothing the user calls is wrapped: `import test from 'node:test'`, named imports,
 * `require`, and `t.test` subtests are all covered, and node:test still sees the user's
 * file as each test's location.
 *
 * The class is not exported: the first Test resource created is caught by a short-lived
 * async hook (disabled as soon as it has seen one), only in processes likely to run
 * node:test (see ./index.ts). A `Test` resource of another shape (a Node version this does
 * not know) leaves every test unnamed, as without leakprof, and says so in --verbose.
 */
import type { AsyncHook } from 'node:async_hooks';
import { createResourceHook } from '../resource-hook.cjs';
import { noteRunner, noteUnrecognised, runInTest } from '../test-context.js';

interface TestLike {
  name?: string;
  parent?: TestLike | null;
  parentTest?: TestLike | null;
  hookType?: string;
  runInAsyncScope(fn: (...args: unknown[]) => unknown, thisArg: unknown, ...args: unknown[]): unknown;
}

const PATCHED = Symbol.for('leakprof.nodeTest');

/** The test's path from the root (the root test, which has no parent, is not named). */
function pathOf(test: TestLike | null | undefined): string[] {
  const names: string[] = [];
  for (let t = test; t && t.parent; t = t.parent) names.unshift(String(t.name));
  return names;
}

const EACH = new Set(['beforeEach', 'afterEach']);

function nameOf(test: TestLike, ctx: unknown): string {
  if (test.hookType === undefined) return pathOf(test).join(' > ');
  // before/after run for the suite that declared them (the root's have no parentTest on Node 20).
  if (!EACH.has(test.hookType)) return [...pathOf(test.parentTest), test.hookType].join(' > ');
  // An each-hook runs for one test at a time, and only its context (the test's own) says which.
  return [...eachOwner(test, ctx), test.hookType].join(' > ');
}

/**
 * The test an each-hook runs for, from its context's `fullName` (Node ≥ 20.16). Never the
 * root's: Node 20's `fullName` getter throws there. Without it, the suite that declared the hook.
 */
function eachOwner(test: TestLike, ctx: unknown): string[] {
  let full: unknown;
  try {
    full = (ctx as { fullName?: unknown } | null | undefined)?.fullName;
  } catch {
    full = undefined;
  }
  return typeof full === 'string' && full !== '' ? full.split(' > ').filter((n) => n !== '<root>') : pathOf(test.parentTest);
}

function patch(proto: Record<string | symbol, unknown> & TestLike): void {
  if (proto[PATCHED]) return;
  const run = proto.runInAsyncScope;
  if (typeof run !== 'function') {
    noteUnrecognised('node:test');
    return;
  }
  proto[PATCHED] = true;
  proto.runInAsyncScope = function (this: TestLike, fn, thisArg, ...args) {
    if (typeof fn !== 'function') return run.call(this, fn, thisArg, ...args);
    let name = '';
    try {
      name = nameOf(this, thisArg);
    } catch {
      // A shape this code does not know: the test runs as it would without leakprof, unnamed.
      noteUnrecognised('node:test');
    }
    if (name === '') return run.call(this, fn, thisArg, ...args);
    noteRunner('node:test');
    // The function, not the call, is wrapped: runInAsyncScope switches to the resource's own context first.
    return run.call(this, function (this: unknown, ...a: unknown[]) {
      return runInTest(name, () => fn.apply(this, a));
    }, thisArg, ...args);
  };
}

/** The prototype named `Test` in a resource's chain (Suite and TestHook extend it). */
function testPrototype(resource: object): (Record<string | symbol, unknown> & TestLike) | undefined {
  for (let p = Object.getPrototypeOf(resource); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (p.constructor?.name === 'Test' && Object.hasOwn(p, 'run')) return p;
  }
  return undefined;
}

export function instrumentNodeTest(): void {
  let hook: AsyncHook | undefined;
  // Leaving promises alone where Node allows it: enabling a hook that tracks them would leave Node's promise hooks on in every test file.
  ({ hook } = createResourceHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'Test' || hook === undefined) return;
      hook.disable();
      hook = undefined;
      try {
        const proto = testPrototype(resource);
        if (proto) patch(proto);
        else noteUnrecognised('node:test');
      } catch {
        noteUnrecognised('node:test');
      }
    },
  }));
  hook.enable();
}
