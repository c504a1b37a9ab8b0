/** What the collector needs to know about each async_hooks type, in one place. */

/** Run-once kinds that cannot outlive the current turn of the loop: counted, never tracked one by one. */
export const EPHEMERAL_TYPES = new Set(['TickObject', 'Immediate', 'Microtask', 'PROMISE']);

/** Rare, long-lived kinds: every one gets a creation stack, whatever the budget. */
export const ALWAYS_STACKED_TYPES = new Set([
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
]);

/**
 * Kinds whose `destroy` Node emits when they close, not when they are collected: holding
 * them strongly until then costs nothing extra. Anything else is held through a WeakRef
 * so that leakprof never keeps a user's object alive.
 */
export function destroyedOnClose(type: string): boolean {
  return type === 'Timeout' || type.endsWith('WRAP') || type.startsWith('FSREQ') || type === 'WORKER';
}

/** A repeating timer (setInterval) is known at init: Node sets `_repeat` before it emits init. */
export function isInterval(type: string, resource: object): boolean {
  return type === 'Timeout' && (resource as { _repeat?: unknown })._repeat != null;
}
