/**
 * The one module that talks to async_hooks (with resource-hook.cts, which makes its hook). Node's docs mark `createHook` as
 * "migrate away": everything else sees only this small listener interface, so a
 * cheaper source (diagnostics_channel, patched constructors) can replace it here.
 */
import { AsyncResource, createHook, type AsyncHook } from 'node:async_hooks';
import { createResourceHook } from './resource-hook.cjs';

export interface ResourceListener {
  init(asyncId: number, type: string, triggerAsyncId: number, resource: object): void;
  destroy(asyncId: number): void;
}

/** The function V8 sees as the caller of the listener: stacks are cut above it. */
export type StackBoundary = (...args: never[]) => unknown;

export interface ResourceSource {
  boundary: StackBoundary;
  stop(): void;
}

export function startResourceSource(listener: ResourceListener): ResourceSource {
  function init(asyncId: number, type: string, triggerAsyncId: number, resource: object): void {
    // Promises come from their own (opt-in) tracker: promise hooks cost too much to take by default.
    if (type === 'PROMISE') return;
    listener.init(asyncId, type, triggerAsyncId, resource);
  }
  function destroy(asyncId: number): void {
    listener.destroy(asyncId);
  }
  const { hook, promiseFree } = createResourceHook({ init, destroy });
  if (promiseFree) hook.enable();
  else enableWithoutPromiseTracking(hook);
  return { boundary: init as StackBoundary, stop: () => hook.disable() };
}

/**
 * Node 20 (resource-hook.cts has no switch there). Enabling a hook with `init` and `destroy` makes Node track every promise for async_hooks
 * (an async id, an init call, and a weak callback for its destroy): a chain of a million
 * awaits runs 8x slower, for PROMISE events this source drops anyway. Node picks that
 * promise mode from its hook counts at each enable(); an enable() made from inside
 * another hook's callback changes only a copy of the counts until the callback returns,
 * so the mode is picked as if our hook were not there. Promises then never reach our
 * hook, and every other resource does. If that ever stops working (or a later enable()
 * anywhere re-picks the mode), promises are tracked again: slower, never wrong.
 */
function enableWithoutPromiseTracking(hook: AsyncHook): void {
  let enabled = false;
  const starter = createHook({
    before() {
      if (enabled) return;
      enabled = true;
      hook.enable();
      starter.disable();
    },
  });
  starter.enable();
  try {
    new AsyncResource('LEAKPROF_START').runInAsyncScope(() => undefined);
  } finally {
    if (!enabled) {
      starter.disable();
      enabled = true;
      hook.enable();
    }
  }
}
