/**
 * vitest: test files go through vite's module runner, out of reach of Node's loaders, but
 * each worker keeps its state on `globalThis.__vitest_worker__`, and its runner sets
 * `state.current` to the test it is about to run (and back to the suite after). That
 * property is turned into a setter that enters the test's context, from inside the
 * runner's own async function just before it calls the test: the test and its later async
 * work carry the name. Only in vitest's worker processes (VITEST=true); the `threads` pool
 * runs tests in worker threads, which leakprof does not instrument (vitest's default pool
 * is `forks`).
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
