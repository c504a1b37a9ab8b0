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
 * node:test (see ./index.ts).
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import { noteRunner, runInTest } from '../test-context.js';

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

function nameOf(test: TestLike, ctx: unknown): string {
  if (test.hookType === undefined) return pathOf(test).join(' > ');
  // A hook runs with the context of what it runs for: the suite (before/after) or the test (each).
  const full = (ctx as { fullName?: unknown } | undefined)?.fullName;
  const owner = typeof full === 'string' ? full.split(' > ').filter((n) => n !== '<root>') : pathOf(test.parentTest);
  return [...owner, test.hookType].join(' > ');
}

function patch(proto: Record<string | symbol, unknown> & TestLike): void {
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const run = proto.runInAsyncScope;
  proto.runInAsyncScope = function (this: TestLike, fn, thisArg, ...args) {
    if (typeof fn !== 'function') return run.call(this, fn, thisArg, ...args);
    const name = nameOf(this, thisArg);
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
  hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'Test' || hook === undefined) return;
      const proto = testPrototype(resource);
      if (!proto) return;
      patch(proto);
      hook.disable();
      hook = undefined;
    },
  });
  hook.enable();
}
