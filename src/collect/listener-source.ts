/**
 * The one module that patches event registration: EventEmitter's addListener/on and
 * prependListener (once and prependOnceListener go through them), and EventTarget's
 * addEventListener. Each add is passed on untouched; the listener table only looks once
 * a (target, event) pair holds more listeners than a threshold, so the ordinary add
 * costs a property read and a comparison.
 */
import { EventEmitter } from 'node:events';
import type { StackBoundary } from './resource-source.js';

export interface ListenerListener {
  /** After an EventEmitter add: `count` is how many listeners the event has now. */
  added(target: object, event: string | symbol, listener: unknown, count: number, boundary: StackBoundary): void;
  /** After an EventTarget add (it keeps no count we can read cheaply). */
  addedToTarget(target: object, event: string, listener: unknown, boundary: StackBoundary): void;
  removedFromTarget(target: object, event: string): void;
}

export interface ListenerSource {
  stop(): void;
}

type Listener = (...args: unknown[]) => unknown;
type Emitter = EventEmitter & { _events?: Record<string | symbol, Listener | Listener[] | undefined> };

export function startListenerSource(sink: ListenerListener): ListenerSource {
  const proto = EventEmitter.prototype as unknown as Record<string, unknown>;
  const originalAdd = proto.addListener as (this: Emitter, event: string | symbol, listener: Listener) => Emitter;
  const originalPrepend = proto.prependListener as typeof originalAdd;
  const countOf = (emitter: Emitter, event: string | symbol): number => {
    const list = emitter._events?.[event];
    return list === undefined ? 0 : typeof list === 'function' ? 1 : list.length;
  };
  function addListener(this: Emitter, event: string | symbol, listener: Listener): Emitter {
    const out = originalAdd.call(this, event, listener);
    sink.added(this, event, listener, countOf(this, event), addListener);
    return out;
  }
  function prependListener(this: Emitter, event: string | symbol, listener: Listener): Emitter {
    const out = originalPrepend.call(this, event, listener);
    sink.added(this, event, listener, countOf(this, event), prependListener);
    return out;
  }
  proto.addListener = addListener;
  proto.on = addListener;
  proto.prependListener = prependListener;

  const targetProto = EventTarget.prototype as unknown as Record<string, unknown>;
  const originalAddEvent = targetProto.addEventListener as (this: EventTarget, type: string, listener: unknown, options?: unknown) => void;
  const originalRemoveEvent = targetProto.removeEventListener as typeof originalAddEvent;
  function addEventListener(this: EventTarget, type: string, listener: unknown, options?: unknown): void {
    originalAddEvent.call(this, type, listener, options);
    if (listener != null) sink.addedToTarget(this, type, listener, addEventListener);
  }
  function removeEventListener(this: EventTarget, type: string, listener: unknown, options?: unknown): void {
    originalRemoveEvent.call(this, type, listener, options);
    sink.removedFromTarget(this, type);
  }
  targetProto.addEventListener = addEventListener;
  targetProto.removeEventListener = removeEventListener;

  return {
    stop() {
      proto.addListener = originalAdd;
      proto.on = originalAdd;
      proto.prependListener = originalPrepend;
      targetProto.addEventListener = originalAddEvent;
      targetProto.removeEventListener = originalRemoveEvent;
    },
  };
}
