/**
 * The one module that talks to async_hooks. Node's docs mark `createHook` as
 * "migrate away": everything else sees only this small listener interface, so a
 * cheaper source (diagnostics_channel, patched constructors) can replace it here.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';

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
  const hook: AsyncHook = createHook({ init, destroy });
  hook.enable();
  return { boundary: init as StackBoundary, stop: () => hook.disable() };
}
