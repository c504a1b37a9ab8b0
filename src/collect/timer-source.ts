/**
 * The one module that patches the timer functions (setTimeout and setInterval, on globalThis
 * and node:timers, which share them, and node:timers/promises' setTimeout, which
 * `util.promisify(setTimeout)` hands out), used under `--stacks all` only. A stack taken inside
 * async_hooks' init has to walk past the hook's own frames (the dispatcher, Node's
 * emitInit, the Timeout constructor) before it reaches the caller, and V8 charges for every
 * frame it walks past (about 0.3 µs each): half of the cost of a timer's stack. Taken here,
 * in the caller's own call, it starts right at the user's frame. The wrapper only takes the
 * stack and leaves it in `sink.pending` for the Timeout's init (async_hooks stays the source
 * of every count and of liveness); a Timeout made any other way (timers/promises' setInterval,
 * which makes its Timeout on the first `next()`, Node's internal timers) finds nothing pending
 * and is taken from the init as before.
 */
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import type { RawStack } from './stack-table.js';

export interface TimerStackSink {
  /** A stack taken by a wrapper for the Timeout its original is making now; the init takes it (and clears it). */
  pending: RawStack | undefined;
}

export interface TimerSource {
  stop(): void;
}

type TimerFunction = (this: unknown, callback: unknown, delay?: unknown, ...args: unknown[]) => unknown;

/**
 * `depth` frames are kept, as StackTable.captureLazy would (its `resolve` reads them). The
 * capture is made right in the wrapper, not through a helper: each frame V8 walks past
 * before the boundary costs as much as a kept one.
 */
export function startTimerSource(sink: TimerStackSink, depth: number): TimerSource {
  const mutable = timers as unknown as Record<string, TimerFunction>;
  const globals = globalThis as unknown as Record<string, TimerFunction>;
  const originals = { setTimeout: mutable.setTimeout!, setInterval: mutable.setInterval! };
  const globalOriginals = { setTimeout: globals.setTimeout!, setInterval: globals.setInterval! };

  // Two wrappers written out rather than one shared helper: each is its own capture boundary, and a
  // helper would be one more frame for V8 to walk on every timer (the cost this module exists to cut).
  const originalTimeout = originals.setTimeout;
  function setTimeout(this: unknown, callback: unknown, delay?: unknown): unknown {
    const saved = Error.stackTraceLimit;
    if (saved !== depth) Error.stackTraceLimit = depth;
    const holder = {};
    Error.captureStackTrace(holder, setTimeout);
    if (saved !== depth) Error.stackTraceLimit = saved;
    sink.pending = holder as RawStack;
    try {
      // Node reads arguments.length for the callback's extra arguments: pass them on as they came.
      return arguments.length <= 2 ? originalTimeout(callback, delay) : Reflect.apply(originalTimeout, this, arguments);
    } finally {
      sink.pending = undefined;
    }
  }
  const originalInterval = originals.setInterval;
  function setInterval(this: unknown, callback: unknown, delay?: unknown): unknown {
    const saved = Error.stackTraceLimit;
    if (saved !== depth) Error.stackTraceLimit = depth;
    const holder = {};
    Error.captureStackTrace(holder, setInterval);
    if (saved !== depth) Error.stackTraceLimit = saved;
    sink.pending = holder as RawStack;
    try {
      return arguments.length <= 2 ? originalInterval(callback, delay) : Reflect.apply(originalInterval, this, arguments);
    } finally {
      sink.pending = undefined;
    }
  }
  const promises = timersPromises as unknown as Record<string, TimerFunction>;
  const originalSleep = promises.setTimeout!;
  function setTimeoutPromise(this: unknown): unknown {
    const saved = Error.stackTraceLimit;
    if (saved !== depth) Error.stackTraceLimit = depth;
    const holder = {};
    Error.captureStackTrace(holder, setTimeoutPromise);
    if (saved !== depth) Error.stackTraceLimit = saved;
    sink.pending = holder as RawStack;
    try {
      return Reflect.apply(originalSleep, this, arguments);
    } finally {
      sink.pending = undefined;
    }
  }
  const wrappers = { setTimeout: likeOriginal(setTimeout, originalTimeout), setInterval: likeOriginal(setInterval, originalInterval) };
  const sleepWrapper = likeOriginal(setTimeoutPromise as TimerFunction, originalSleep);

  const install = (values: typeof wrappers, globalValues: typeof wrappers, sleep: TimerFunction): void => {
    promises.setTimeout = sleep;
    mutable.setTimeout = values.setTimeout;
    mutable.setInterval = values.setInterval;
    globals.setTimeout = globalValues.setTimeout;
    globals.setInterval = globalValues.setInterval;
    // `import { setTimeout } from 'node:timers'` reads the module's ESM facade: bring those up to date.
    syncBuiltinESMExports();
  };
  install(wrappers, wrappers, sleepWrapper);
  return { stop: () => install(originals, globalOriginals, originalSleep) };
}

/** The wrapper carries the original's own properties: its name, util.promisify.custom (`promisify(setTimeout)` must still work). */
function likeOriginal(wrapper: TimerFunction, original: TimerFunction): TimerFunction {
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'length' || key === 'prototype') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key);
    if (descriptor) Object.defineProperty(wrapper, key, descriptor);
  }
  return wrapper;
}
