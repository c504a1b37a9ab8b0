/**
 * An async_hooks hook that leaves promises alone. Any enabled hook makes Node install V8's
 * promise hooks (`before`/`after` at least) for every promise in the process, and with any
 * promise hook installed V8 leaves its fast paths: a `fetch().then(() => loop())` poll loop
 * ran 3-4x slower than bare under an empty one (bench/promise-shapes.js). leakprof's handle
 * tracking never wants promises (the async profile has its own, opt-in source).
 *
 * Newer Node takes `trackPromises: false` (added in January 2026: 24.22 has it, 22.23 not). Node 22 has the same switch as an own symbol
 * property of the hook (`kNoPromiseHook`, what Node's inspector sets on its own hook, and what
 * `trackPromises: false` sets later): set it when the option was not understood. Node 20 has
 * neither: there, resource-source.ts enables the hook from inside a callback, which keeps
 * promises' `init` away but not `before`/`after`.
 */
import { createHook, type AsyncHook, type HookCallbacks } from 'node:async_hooks';

export interface ResourceHook {
  hook: AsyncHook;
  /** Node will install no promise hook for it. */
  promiseFree: boolean;
}

/**
 * Whether Node puts promise hooks of its own beside leakprof's whatever it does (Node 20): then it
 * also adds two symbol properties to every promise that runs a reaction, and promises come in many
 * shapes, which makes a property lookup on every promise slow (promise-table.ts picks a WeakMap).
 */
export const nodeTracksPromises = !createResourceHook({}).promiseFree;

export function createResourceHook(callbacks: HookCallbacks): ResourceHook {
  const hook = createHook({ ...callbacks, trackPromises: false } as HookCallbacks);
  const flag = Object.getOwnPropertySymbols(hook).find((s) => s.description === 'kNoPromiseHook');
  if (flag === undefined) return { hook, promiseFree: false };
  const fields = hook as unknown as Record<symbol, unknown>;
  if (typeof fields[flag] !== 'boolean') return { hook, promiseFree: false };
  fields[flag] = true;
  return { hook, promiseFree: true };
}
