/**
 * What Node tells about a live resource, read only at snapshot time (never on the hot
 * path): a timer's delay and next fire, a socket's addresses, a child's pid and command.
 * Everything here reads public API where Node has one, and guards every access.
 */
import { AsyncResource } from 'node:async_hooks';
import { UNOPENED, type WireDetails } from '../transport/messages.js';

export interface Description {
  /** Part of the grouping key: what tells this group apart beside type, state and stack. */
  label: string;
  state: string;
  details: WireDetails | undefined;
}

interface TimerLike {
  _idleTimeout?: number;
  _idleStart?: number | null;
  _repeat?: number | null;
  _destroyed?: boolean;
  _onTimeout?: ((...args: unknown[]) => unknown) | null;
  hasRef?(): boolean;
}

interface HandleLike {
  hasRef?(): boolean;
  fd?: number;
}

let ownerSymbol: symbol | null | undefined;

/** Node links a native handle to its JS owner (net.Socket, net.Server, ChildProcess…) through an internal symbol. */
function ownerOf(handle: object): Record<string, unknown> | undefined {
  if (ownerSymbol === undefined || ownerSymbol === null) {
    const found = Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
    if (found) ownerSymbol = found;
    else return undefined;
  }
  const owner = (handle as Record<symbol, unknown>)[ownerSymbol];
  return owner && typeof owner === 'object' ? (owner as Record<string, unknown>) : undefined;
}

function refState(resource: HandleLike): string {
  try {
    if (typeof resource.hasRef === 'function') return resource.hasRef() ? 'ref' : 'unref';
  } catch {
    // a closing handle may refuse
  }
  return 'active';
}

/** The TCP or pipe handle a TLSWRAP runs over: the connection is reported once, as the TLSWRAP. */
export function streamUnder(type: string, resource: object): object | undefined {
  if (type !== 'TLSWRAP') return undefined;
  const parent = (resource as { _parent?: unknown })._parent;
  return parent !== null && typeof parent === 'object' ? parent : undefined;
}

/** False for a resource Node is done with whose destroy event has not arrived yet (a fired timer). */
export function isAlive(type: string, resource: object): boolean {
  if (type === 'Timeout') return (resource as TimerLike)._destroyed !== true;
  // A closed fs/promises FileHandle is destroyed only when collected; its fd goes negative at close.
  if (type === 'FILEHANDLE') return !(typeof (resource as HandleLike).fd === 'number' && (resource as HandleLike).fd! < 0);
  return !isClosing(type, resource);
}

/**
 * A socket, server or child whose JS owner let go of it (close()/destroy() set `_handle` to null) is closing:
 * its destroy event only comes a turn later, and an exit snapshot in between must not call it alive.
 */
export function isClosing(type: string, resource: object): boolean {
  if (!OWNED_TYPES.has(type)) return false;
  const owner = ownerOf(resource);
  if (owner === undefined) return false;
  const current = handleOf(owner);
  return current !== NOT_KNOWN && current !== resource;
}

const NOT_KNOWN = Symbol('not known');
let stateSymbol: symbol | undefined;

/**
 * The handle an owner holds now (null once closed). Read as an own property only: an inherited
 * getter may warn (dgram's `_handle` is deprecated, and its warning would land in the workload's
 * stderr), so a dgram socket is read through its state object instead.
 */
function handleOf(owner: Record<string, unknown>): unknown {
  // Node's owners set `this._handle` on themselves; dgram's is a getter on its prototype.
  if (Object.hasOwn(owner, '_handle')) return owner._handle;
  stateSymbol ??= Object.getOwnPropertySymbols(owner).find((sym) => sym.description === 'state symbol');
  const state = stateSymbol === undefined ? undefined : (owner as Record<symbol, unknown>)[stateSymbol];
  if (state !== null && typeof state === 'object' && 'handle' in state) return (state as { handle: unknown }).handle;
  return NOT_KNOWN;
}

// TLSWRAP too: a TLS socket's owner is its TLSSocket, which drops it at destroy(); and fs watchers,
// whose FSWatcher/StatWatcher drop theirs at close().
const OWNED_TYPES = new Set(['TCPWRAP', 'PIPEWRAP', 'TLSWRAP', 'TCPSERVERWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'PROCESSWRAP', 'TTYWRAP', 'FSEVENTWRAP', 'STATWATCHER']);

export function describe(type: string, resource: object, now: number): Description {
  try {
    switch (type) {
      case 'Timeout':
        return describeTimer(resource as TimerLike, now);
      case 'TCPWRAP':
      case 'PIPEWRAP':
      case 'TLSWRAP':
      case 'TCPSERVERWRAP':
      case 'PIPESERVERWRAP':
        return describeStream(type, resource as HandleLike);
      case 'PROCESSWRAP':
        return describeChild(resource as HandleLike);
      case 'WORKER':
        return describeWorker(resource as HandleLike);
      case 'TTYWRAP':
        return describeTty(resource as HandleLike);
      case 'FILEHANDLE':
        // An open fs/promises FileHandle holds a file descriptor, not the event loop.
        return { label: 'FILEHANDLE', state: 'open', details: typeof (resource as HandleLike).fd === 'number' ? { fd: (resource as HandleLike).fd! } : undefined };
      default:
        return { label: type, state: pendingOrRef(type, resource as HandleLike), details: undefined };
    }
  } catch {
    return { label: type, state: 'active', details: undefined };
  }
}

function pendingOrRef(type: string, resource: HandleLike): string {
  if (typeof resource.hasRef === 'function') return refState(resource);
  // A JavaScript AsyncResource (undici's UNDICI_REQUEST, a library's own type) is an object, not
  // a libuv handle or request: it lives as long as JavaScript holds it and never keeps the loop alive.
  if (resource instanceof AsyncResource) return 'object';
  // Requests (fs, dns, connect, write…) keep the loop alive while they are pending.
  return /REQ|WRAP$/.test(type) ? 'pending' : 'active';
}

function describeTimer(timer: TimerLike, now: number): Description {
  const delay = typeof timer._idleTimeout === 'number' && timer._idleTimeout >= 0 ? timer._idleTimeout : 0;
  const repeat = timer._repeat != null;
  const details: WireDetails = { delayMs: delay, repeat };
  if (typeof timer._idleStart === 'number') {
    // _idleStart is libuv's loop clock, which starts with the process like performance.now().
    details.nextFireInMs = Math.max(0, Math.round(timer._idleStart + delay - now));
  }
  const callback = timer._onTimeout?.name;
  if (callback) details.callback = callback;
  return { label: `Timeout ${delay}ms${repeat ? ' repeat' : ''}`, state: refState(timer), details };
}

function describeStream(type: string, handle: HandleLike & { _parent?: HandleLike }): Description {
  const owner = ownerOf(handle);
  // A TLSWRAP has no ref of its own: the TCP or pipe handle under it holds the loop.
  const refHolder = type === 'TLSWRAP' && handle._parent && typeof handle._parent === 'object' ? handle._parent : handle;
  const details: WireDetails = {};
  let label = type;
  if (owner) {
    const address = typeof owner.address === 'function' ? safeCall(() => (owner.address as () => unknown).call(owner)) : undefined;
    const isServer = type.includes('SERVER') || typeof owner.listen === 'function';
    if (isServer) {
      label = `${type} listening`;
      if (address && typeof address === 'object') {
        const a = address as { address?: string; port?: number };
        details.listening = a.port !== undefined ? `${a.address}:${a.port}` : String(a.address);
      } else if (typeof address === 'string') {
        details.listening = address;
      }
    } else {
      if (typeof owner.localPort === 'number') details.local = `${owner.localAddress}:${owner.localPort}`;
      if (typeof owner.remotePort === 'number') details.remote = `${owner.remoteAddress}:${owner.remotePort}`;
      if (owner.connecting === true) details.connecting = true;
      if (owner.destroyed === true) details.destroyed = true;
    }
  }
  const fd = typeof handle.fd === 'number' ? handle.fd : undefined;
  if (fd !== undefined && fd >= 0) details.fd = fd;
  // Only where Node tells a socket's fd (not on Windows, where it is always -1); a server listens on one.
  const unopened = fd !== undefined && fd < 0 && process.platform !== 'win32' && details.listening === undefined;
  return { label, state: unopened ? UNOPENED : refState(refHolder), details: Object.keys(details).length ? details : undefined };
}

function describeChild(handle: HandleLike): Description {
  const owner = ownerOf(handle);
  const details: WireDetails = {};
  if (owner) {
    if (typeof owner.pid === 'number') details.pid = owner.pid;
    if (Array.isArray(owner.spawnargs)) details.command = (owner.spawnargs as string[]).join(' ').slice(0, 200);
  }
  return { label: 'PROCESSWRAP', state: refState(handle), details: Object.keys(details).length ? details : undefined };
}

function describeWorker(handle: HandleLike): Description {
  const owner = ownerOf(handle);
  const details: WireDetails = {};
  // The native handle carries the thread id from the start; the Worker object gets it only later in its constructor.
  const threadId = owner?.threadId ?? (handle as { threadId?: unknown }).threadId;
  if (typeof threadId === 'number') details.threadId = threadId;
  return { label: 'WORKER', state: refState(handle), details: Object.keys(details).length ? details : undefined };
}

function describeTty(handle: HandleLike): Description {
  const details: WireDetails = {};
  if (typeof handle.fd === 'number') details.fd = handle.fd;
  return { label: 'TTYWRAP', state: refState(handle), details };
}

function safeCall<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
