/**
 * node:test: its `test`/`it`/`describe`/`suite` and hooks are wrapped so each test body
 * (and each hook) runs in its own test context, named by its full path (`suite > test`).
 * `module.syncBuiltinESMExports()` makes `import { test } from 'node:test'` see the
 * wrappers; `require('node:test')` is handed a wrapped callable too. The one form left out
 * is calling the ESM default import (`import test from 'node:test'; test(…)`): that is
 * Node's own function object — its subtests (`t.test`) and named imports are still covered,
 * and the report's stack-based fallback names the test from the source.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { bindToTest, currentTestName, noteRunner } from '../test-context.js';
import { onRequire } from './module-hook.js';

type Fn = (...args: never[]) => unknown;
type Declare = ((...args: unknown[]) => unknown) & Record<string, unknown>;

const TESTS = ['test', 'it'];
const SUITES = ['describe', 'suite'];
const HOOKS = ['before', 'after', 'beforeEach', 'afterEach'];
const VARIANTS = ['only', 'todo'];

const wrapped = new WeakSet<object>();
let contextPatched = false;

/** `test(name?, options?, fn?)`: the function is the last argument that is one. */
function wrapDeclaration(declare: Declare, kind: 'test' | 'hook', hookName = ''): Declare {
  if (wrapped.has(declare)) return declare;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    noteRunner('node:test');
    let at = args.length - 1;
    while (at >= 0 && typeof args[at] !== 'function') at--;
    if (at >= 0) {
      const fn = args[at] as Fn;
      const parent = currentTestName();
      const own = kind === 'hook' ? hookName : typeof args[0] === 'string' ? args[0] : fn.name || '<anonymous>';
      const name = parent ? `${parent} > ${own}` : own;
      args[at] = bindToTest(name, kind === 'test' ? withContextPatch(fn) : fn);
    }
    return declare.apply(this, args);
  } as Declare;
  Object.defineProperty(wrapper, 'length', { value: declare.length });
  Object.defineProperty(wrapper, 'name', { value: declare.name });
  wrapped.add(wrapper);
  return wrapper;
}

/** Subtests (`t.test(…)`) go through TestContext, reachable only from a running test's first argument. */
function withContextPatch(fn: Fn): Fn {
  if (contextPatched) return fn;
  const patched = function (this: unknown, ...args: unknown[]): unknown {
    const ctx = args[0] as { test?: unknown } | undefined;
    const proto = ctx && typeof ctx.test === 'function' ? Object.getPrototypeOf(ctx) : undefined;
    if (!contextPatched && proto && Object.hasOwn(proto, 'test')) {
      contextPatched = true;
      proto.test = wrapDeclaration(proto.test as Declare, 'test');
    }
    return (fn as unknown as (...a: unknown[]) => unknown).apply(this, args);
  };
  Object.defineProperty(patched, 'length', { value: fn.length });
  return patched as unknown as Fn;
}

function patchExports(mod: Declare): Declare {
  for (const name of [...TESTS, ...SUITES]) {
    const original = mod[name] as Declare | undefined;
    if (typeof original !== 'function' || wrapped.has(original)) continue;
    const wrapper = wrapDeclaration(original, 'test');
    for (const variant of VARIANTS) {
      if (typeof original[variant] === 'function') wrapper[variant] = wrapDeclaration(original[variant] as Declare, 'test');
    }
    for (const key of Object.keys(original)) if (!(key in wrapper)) wrapper[key] = original[key];
    mod[name] = wrapper;
  }
  for (const hook of HOOKS) {
    const original = mod[hook] as Declare | undefined;
    if (typeof original === 'function') mod[hook] = wrapDeclaration(original, 'hook', hook);
  }
  syncBuiltinESMExports();
  return mod;
}

/** What `require('node:test')` hands back: a callable `test` carrying the wrapped exports. */
function requireView(mod: Declare): Declare {
  const view = mod.test as Declare;
  for (const key of Object.keys(mod)) if (view[key] === undefined) view[key] = mod[key];
  for (const name of [...TESTS, ...SUITES, ...HOOKS]) view[name] = mod[name];
  return view;
}

export function instrumentNodeTest(): void {
  const mod = createRequire(import.meta.url)('node:test') as Declare;
  patchExports(mod);
  const view = requireView(mod);
  onRequire({ matches: (request) => request === 'node:test', apply: () => view });
}
