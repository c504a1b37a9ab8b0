/**
 * Loaded first of all (`--require` in NODE_OPTIONS comes before a command line's --require
 * and before leakprof's --import preload): records the async resources made before the
 * collector starts — by a `--require`d or `--import`ed module — each with its creation
 * stack taken now and read only if reported. The collector takes them over when it starts
 * (takeEarlyResources) and this hook is gone. Does nothing outside leakprof.
 */
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { keepRequireHookedMain } from './cjs-main.cjs';
import { createResourceHook } from './resource-hook.cjs';

interface EarlyResource {
  type: string;
  trigger: number;
  resource: object;
  /** A stack holder (Error.captureStackTrace), not read yet: StackTable.resolve reads it. */
  stack: object;
  /** performance.now() at creation. */
  at: number;
}

const KEY = Symbol.for('leakprof.early');
const globals = globalThis as Record<symbol, unknown>;

if (process.env.LEAKPROF_CONFIG && isMainThread && globals[KEY] === undefined) {
  const early = new Map<number, EarlyResource>();
  const init = (asyncId: number, type: string, trigger: number, resource: object): void => {
    if (type === 'PROMISE') return;
    const stack = {};
    Error.captureStackTrace(stack, init);
    early.set(asyncId, { type, trigger, resource, stack, at: performance.now() });
  };
  const { hook } = createResourceHook({ init, destroy: (asyncId: number) => void early.delete(asyncId) });
  hook.enable();
  keepRequireHookedMain(join(__dirname, 'preload.js'));
  globals[KEY] = {
    take(): Map<number, EarlyResource> {
      hook.disable();
      // Nothing of it stays reachable: the collector holds what it adopts, the rest may be collected.
      delete globals[KEY];
      return early;
    },
  };
}
