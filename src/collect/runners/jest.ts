/**
 * jest (jest-circus): test files run in a vm context, but the test environment class is
 * loaded with Node's `require`, and circus hands every event to the environment's
 * `handleTestEvent`. Just before circus calls a test or hook it announces it
 * (`test_fn_start`, `hook_start`); its function is swapped there for one that runs in
 * that test's context (same length, so done-callback tests stay done-callback tests).
 */
import { readFileSync } from 'node:fs';
import type { SourceMap } from 'node:module';
import { addSourceMapProvider } from '../source-maps.js';
import { bindToTest, noteRunner, noteUnrecognised, TEST_CONTEXT_KEY } from '../test-context.js';
import { onRequire } from './module-hook.js';
import { sourceMapFor } from './runner-source-maps.js';

interface Block {
  name: string;
  parent?: Block;
}
interface Runnable {
  fn?: (...args: never[]) => unknown;
  name?: string;
  type?: string;
  parent?: Block;
}
interface CircusEvent {
  name: string;
  test?: Runnable;
  hook?: Runnable;
}
interface CircusState {
  currentlyRunningTest?: Runnable | null;
}
type Handler = (event: CircusEvent, state: CircusState) => unknown;
type EnvironmentClass = { prototype: { handleTestEvent?: Handler; [key: symbol]: unknown } };

const PATCHED = Symbol.for('leakprof.jest');
const ROOT = 'ROOT_DESCRIBE_BLOCK';
const bound = new WeakSet<object>();

function blockPath(block: Block | undefined): string[] {
  const names: string[] = [];
  for (let b = block; b && b.name !== ROOT; b = b.parent) names.unshift(b.name);
  return names;
}

/** A hook object is shared by every test it runs around: its name is looked up per call. */
const hookNames = new WeakMap<Runnable, string>();

function bind(runnable: Runnable | undefined, name: string | (() => string)): void {
  if (!runnable?.fn || bound.has(runnable.fn)) return;
  runnable.fn = bindToTest(typeof name === 'string' ? name : () => name(), runnable.fn);
  bound.add(runnable.fn);
}

function testPath(test: Runnable): string {
  return [...blockPath(test.parent), test.name ?? ''].join(' > ');
}

function onEvent(event: CircusEvent, state: CircusState): void {
  if (event.name === 'test_fn_start' && event.test) {
    bind(event.test, testPath(event.test));
  } else if (event.name === 'hook_start' && event.hook) {
    const hook = event.hook;
    const type = hook.type ?? 'hook';
    // beforeEach/afterEach run for the test circus is running: `suite > test > afterEach`.
    const test = type.endsWith('Each') ? state?.currentlyRunningTest : undefined;
    hookNames.set(hook, test ? `${testPath(test)} > ${type}` : [...blockPath(hook.parent), type].join(' > '));
    bind(hook, () => hookNames.get(hook) ?? type);
  }
}

const SHARED = [Symbol.for('leakprof.collector'), TEST_CONTEXT_KEY];
/** Where `require('leakprof')` (dist/require-entry.cjs) finds the API inside a test file's vm context. */
const API_KEY = Symbol.for('leakprof.api');

/** Test files run in the environment's own global: leakprof imported there must find this process's collector and test context. */
function shareWith(env: { global?: Record<symbol, unknown> }): void {
  const target = env.global;
  if (!target || typeof target !== 'object') return;
  const source = globalThis as Record<symbol, unknown>;
  for (const key of SHARED) if (target[key] === undefined && source[key] !== undefined) target[key] = source[key];
}

function patchEnvironment(exports: unknown): void {
  // jest 28 on: `exports.TestEnvironment` (and `default`); jest 27 and before: `module.exports = NodeEnvironment`.
  const mod = exports as { default?: EnvironmentClass; TestEnvironment?: EnvironmentClass };
  const Environment = mod.TestEnvironment ?? mod.default ?? (typeof exports === 'function' ? (exports as EnvironmentClass) : undefined);
  const proto = Environment?.prototype;
  if (!proto) {
    noteUnrecognised('jest');
    return;
  }
  if (proto[PATCHED]) return;
  const own = proto.handleTestEvent;
  proto.handleTestEvent = function (this: { global?: Record<symbol, unknown> }, event, state) {
    try {
      shareWith(this);
      onEvent(event, state);
    } catch {
      // never break the runner
    }
    // Before the test file loads: jest's own `require` cannot load an ES module (before Node 24.9), so
    // `require('leakprof')` there is handed this process's API, loaded here, outside the vm.
    if (event.name === 'setup' && this.global && this.global[API_KEY] === undefined) {
      const env = this;
      return import('../../index.js')
        .then((api) => {
          if (env.global) env.global[API_KEY] = api;
        }, () => undefined)
        .then(() => own?.call(this, event, state));
    }
    return own?.call(this, event, state);
  };
  proto[PATCHED] = true;
  noteRunner('jest');
}

interface RuntimeLike {
  getSourceMaps?(): Map<string, string>;
}
type RuntimeClass = { prototype: Record<string | symbol, unknown> };

/**
 * jest transforms test files (babel-jest by default) and writes each map to its cache; the
 * Runtime of each test file knows where (`getSourceMaps()`). Runtimes are remembered as they
 * load test files, weakly: one per test file. A runtime forgets its maps when the file is
 * torn down (jest 27 clears them; a later one keeps them until the runtime is collected),
 * while what the file left open is reported later, at the process's end: where each map
 * is (a path per file) is copied as the runtime is torn down.
 */
const runtimes: WeakRef<RuntimeLike>[] = [];
const tornDown = new Map<string, string>();

function keepMapsOf(runtime: RuntimeLike): void {
  const maps = runtime.getSourceMaps?.();
  if (!(maps instanceof Map)) return;
  for (const [file, path] of maps) if (typeof path === 'string') tornDown.set(file, path);
}

function patchRuntime(exports: unknown): void {
  const mod = exports as { default?: RuntimeClass };
  const proto = (mod.default ?? (exports as RuntimeClass))?.prototype;
  if (!proto || proto[PATCHED]) return;
  proto[PATCHED] = true;
  for (const method of ['requireModule', 'unstable_importModule']) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = function (this: RuntimeLike, ...args: unknown[]): unknown {
      if (!runtimes.some((ref) => ref.deref() === this)) runtimes.push(new WeakRef(this));
      return original.apply(this, args);
    };
  }
  const teardown = proto.teardown;
  if (typeof teardown === 'function') {
    proto.teardown = function (this: RuntimeLike, ...args: unknown[]): unknown {
      try {
        keepMapsOf(this);
      } catch {
        // never break the runner
      }
      return teardown.apply(this, args);
    };
  }
  addSourceMapProvider(transformedFileMap);
}

function transformedFileMap(file: string): SourceMap | undefined {
  let path: string | undefined;
  for (const ref of runtimes) {
    path = ref.deref()?.getSourceMaps?.()?.get(file);
    if (path) break;
  }
  path ??= tornDown.get(file);
  return path ? sourceMapFor(file, readFileSync(path, 'utf8')) : undefined;
}

export function instrumentJest(): void {
  onRequire({
    matches: (file) => /[\\/]jest-environment-(node|jsdom)[\\/]build[\\/]index\.js$/.test(file),
    apply: patchEnvironment,
  });
  onRequire({ matches: (file) => /[\\/]jest-runtime[\\/]build[\\/]index\.js$/.test(file), apply: patchRuntime });
}
