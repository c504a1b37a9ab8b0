/**
 * vitest: test files go through vite's module runner, out of reach of Node's loaders, but
 * each worker keeps its state on `globalThis.__vitest_worker__`, and its runner sets
 * `state.current` to the test it is about to run (and back to the suite after). That
 * property is turned into a setter that enters the test's context, from inside the
 * runner's own async function just before it calls the test: the test and its later async
 * work carry the name. Only in vitest's worker processes (VITEST=true); the `threads` pool
 * runs tests in worker threads, which leakprof does not instrument (vitest's default pool
 * is `forks`).
 *
 * A suite's afterAll runs in the runner's own async function for that suite, whose context
 * still holds the suite's last test (the runner enters each test from a call that starts in
 * that function): it would be blamed for what afterAll makes. The runner marks the hook's
 * state on the suite's result (`result.hooks.afterAll = 'run'`) just before it calls the
 * hooks, in that very context, so that assignment enters `suite > afterAll`.
 */
import type { SourceMap } from 'node:module';
import { addSourceMapProvider } from '../source-maps.js';
import { enterTest, noteRunner, noteUnrecognised, setSerialProbe } from '../test-context.js';
import { sourceMapFor } from './runner-source-maps.js';
import vmModule from 'node:vm';
import { syncBuiltinESMExports } from 'node:module';

interface Task {
  name: string;
  type: string;
  filepath?: string;
  suite?: Task;
  file?: Task;
  result?: { hooks?: Record<string, unknown> };
}
interface WorkerState {
  current?: Task;
  evaluatedModules?: { getModuleById?(id: string): { meta?: { code?: unknown } } | undefined };
}

const STATE = '__vitest_worker__';
const patched = new WeakSet<object>();

/**
 * vitest's vmThreads/vmForks pools keep their worker state on the vm context the tests run in,
 * not on the worker's own globalThis: the contexts vm.createContext makes are watched (the last
 * few, weakly) so the state is found there too.
 */
const contexts: WeakRef<object>[] = [];
function watchVmContexts(): void {
  const vm = vmModule as unknown as { createContext: (this: unknown, ...args: unknown[]) => object };
  const original = vm.createContext;
  vm.createContext = function createContext(this: unknown, ...args: unknown[]): object {
    const context = original.apply(this, args);
    contexts.push(new WeakRef(context));
    if (contexts.length > 8) contexts.shift();
    return context;
  };
  syncBuiltinESMExports();
}

function workerState(): WorkerState | undefined {
  const own = (globalThis as Record<string, unknown>)[STATE] as WorkerState | undefined;
  if (own) return own;
  for (let i = contexts.length - 1; i >= 0; i--) {
    const state = (contexts[i]!.deref() as Record<string, unknown> | undefined)?.[STATE] as WorkerState | undefined;
    if (state) return state;
  }
  return undefined;
}

function testPath(task: Task | undefined): string | undefined {
  if (!task || task.type !== 'test') return undefined;
  const names: string[] = [];
  for (let t: Task | undefined = task; t && t.filepath === undefined; t = t.suite) names.unshift(t.name);
  return names.join(' > ');
}

/** `outer > inner`: a suite's own path (the file is not part of a name), '' for the file. */
function suitePath(suite: Task): string {
  const names: string[] = [];
  for (let t: Task | undefined = suite; t && t.filepath === undefined; t = t.suite) names.unshift(t.name);
  return names.join(' > ');
}

const SUITE_HOOKS = ['afterAll'] as const;
const watchedSuites = new WeakSet<object>();

/**
 * Watches the suite's hook states so that the runner's `hooks.afterAll = 'run'` enters the
 * hook's name. Each watcher is an accessor that is not enumerable until the runner first
 * sets the key and then turns back into the plain property the runner made, so the result
 * it sends to its main process has the same keys, in the same order, as without leakprof.
 */
function watchSuiteHooks(suite: Task): void {
  const result = suite.result;
  if (watchedSuites.has(suite) || !result || typeof result !== 'object') return;
  watchedSuites.add(suite);
  const path = suitePath(suite);
  const watchHooks = (hooks: Record<string, unknown>): void => {
    for (const hook of SUITE_HOOKS) {
      if (Object.prototype.hasOwnProperty.call(hooks, hook)) continue;
      onFirstSet(hooks, hook, (value) => {
        if (value === 'run') enterTest(path === '' ? hook : `${path} > ${hook}`);
      });
    }
  };
  const hooks = result.hooks;
  if (hooks && typeof hooks === 'object') watchHooks(hooks);
  else if (hooks === undefined && !Object.prototype.hasOwnProperty.call(result, 'hooks')) {
    onFirstSet(result as Record<string, unknown>, 'hooks', (value) => {
      if (value && typeof value === 'object') watchHooks(value as Record<string, unknown>);
    });
  }
}

/** `then(value)` on the first assignment of `key`, which from then on is the plain enumerable property it would have been. */
function onFirstSet(target: Record<string, unknown>, key: string, then: (value: unknown) => void): void {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: false,
    get: () => undefined,
    set(value: unknown) {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
      try {
        then(value);
      } catch {
        // never break the runner
      }
    },
  });
}

function patchState(state: WorkerState): void {
  let current = state.current;
  Object.defineProperty(state, 'current', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (task: Task | undefined) => {
      current = task;
      try {
        enterTest(testPath(task));
        // The suites around a test are running by now (their results exist): watch their hooks.
        if (task?.type === 'test') for (let s = task.suite; s; s = s.suite ?? (s.file !== s ? s.file : undefined)) watchSuiteHooks(s);
      } catch {
        // never break the runner
      }
    },
  });
  patched.add(state);
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)/;

/**
 * vitest compiles test files itself (vm, transformed by vite, with an inline source map),
 * so Node keeps no map for them: the map is read from vitest's module graph, so creation
 * stacks point at the test file's own lines.
 */
function evaluatedModuleMap(file: string): SourceMap | undefined {
  const state = workerState();
  const code = state?.evaluatedModules?.getModuleById?.(file)?.meta?.code;
  if (typeof code !== 'string') return undefined;
  const match = INLINE_MAP.exec(code);
  if (!match) return undefined;
  return sourceMapFor(file, Buffer.from(match[1]!, 'base64').toString('utf8'));
}

export function instrumentVitest(): void {
  noteRunner('vitest');
  watchVmContexts();
  addSourceMapProvider(evaluatedModuleMap);
  // The state appears once the worker has started; until then each resource creation looks for it.
  setSerialProbe(() => {
    const state = workerState();
    if (!state || typeof state !== 'object') return undefined;
    if (!patched.has(state)) {
      try {
        patchState(state);
      } catch {
        // A worker state of a shape this does not know (current not redefinable): tests run unnamed.
        patched.add(state);
        noteUnrecognised('vitest');
        return undefined;
      }
    }
    try {
      return testPath(state.current);
    } catch {
      return undefined;
    }
  });
}
