/** What the collector needs to know about each async_hooks type, decided once per type at its first init. */
import { AsyncResource } from 'node:async_hooks';
import type { CaptureBoundary } from './stack-table.js';

/** Run-once kinds that cannot outlive the current turn of the loop: counted, never tracked one by one. */
export const EPHEMERAL_TYPES = new Set(['TickObject', 'Immediate', 'Microtask', 'PROMISE']);

/** Rare, long-lived kinds: every one gets a creation stack, whatever the budget. */
const ALWAYS_STACKED_TYPES = new Set([
  'TCPSERVERWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'PROCESSWRAP',
  'WORKER',
  'MESSAGEPORT',
  'FSEVENTWRAP',
  'STATWATCHER',
  'SIGNALWRAP',
  'TTYWRAP',
  'HTTPSERVER',
  'DNSCHANNEL',
  'ELDHISTOGRAM',
  'FILEHANDLE',
]);

/** Exact bookkeeping and policy for one async_hooks type. */
export interface TypeState {
  readonly type: string;
  created: number;
  /** Tracked ones alive now (made, no destroy yet): kept as they come and go, so counting them walks nothing. */
  live: number;
  stacked: number;
  /** Every one gets a stack (rare, long-lived kinds). */
  readonly alwaysStacked: boolean;
  /**
   * Tracked one by one: things that can keep the loop alive or hold an fd (native handles,
   * requests, timers). JavaScript-level AsyncResources of libraries are only counted:
   * they keep nothing alive by themselves, and a WeakRef each would cost more than they tell.
   */
  readonly tracked: boolean;
  /**
   * Held through a WeakRef: Node emits their destroy only when they are collected (a
   * FileHandle nobody closed), so a strong reference would keep them, and their fd, alive.
   */
  readonly weak: boolean;
  /**
   * The resource's own JavaScript constructor, when its init runs inside it (Timeout): a
   * sure capture boundary, one that cuts async_hooks' and the timer internals' frames too,
   * and such stacks are taken lazily (interned only if read). Only for resources made by it:
   * the deprecated timers.active(obj) inits a plain object as a 'Timeout'.
   */
  readonly constructorBoundary: CaptureBoundary | undefined;
}

export function classifyType(type: string, resource: object): TypeState {
  const jsLevel = resource instanceof AsyncResource;
  const tracked = !EPHEMERAL_TYPES.has(type) && !jsLevel;
  const deterministic = type === 'Timeout' || type.endsWith('WRAP') || type.startsWith('FSREQ') || type === 'WORKER';
  return {
    type,
    created: 0,
    live: 0,
    stacked: 0,
    alwaysStacked: ALWAYS_STACKED_TYPES.has(type),
    tracked,
    weak: tracked && !deterministic,
    constructorBoundary: tracked && type === 'Timeout' ? timerConstructor(resource) : undefined,
  };
}

function timerConstructor(resource: object): CaptureBoundary | undefined {
  const ctor = (resource as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name === 'Timeout' ? (ctor as CaptureBoundary) : undefined;
}

/** A repeating timer (setInterval) is known at init: Node sets `_repeat` before it emits init. */
export function isInterval(type: string, resource: object): boolean {
  return type === 'Timeout' && (resource as { _repeat?: unknown })._repeat != null;
}
