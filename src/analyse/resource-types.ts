/**
 * Everything the analysis knows per async_hooks type, in one table: the name
 * process.getActiveResourcesInfo() uses for it, whether it is never a leak, and what to
 * do about it when it is one.
 */

import { UNOPENED } from '../transport/messages.js';

interface TypeInfo {
  /** Name in process.getActiveResourcesInfo(), for the cross-check. */
  nodeName?: string;
  /** Never keeps a process alive, never a leak: the reason, shown in verbose output. */
  benign?: string;
  hint?: string;
}

const TYPES: Record<string, TypeInfo> = {
  Timeout: { nodeName: 'Timeout', hint: 'a timer still armed after the work ended: clearTimeout/clearInterval it when the work stops, or .unref() it if it is background work' },
  TCPWRAP: { nodeName: 'TCPSocketWrap', hint: 'a socket still open: close it (socket.end()/destroy()), or close the client or agent that owns it; reuse one pooled client instead of one per request' },
  TLSWRAP: { hint: 'a TLS connection still open: end or destroy the socket, or close the client or agent that owns it' },
  TCPSERVERWRAP: { nodeName: 'TCPServerWrap', hint: 'a server still listening: call server.close() when done (and close its open connections)' },
  PIPEWRAP: { nodeName: 'PipeWrap', hint: 'a pipe or Unix socket still open: end or destroy the stream that owns it' },
  PIPESERVERWRAP: { nodeName: 'PipeServerWrap', hint: 'a server still listening on a pipe: call server.close() when done' },
  UDPWRAP: { nodeName: 'UDPWrap', hint: 'a UDP socket still bound: call socket.close()' },
  PROCESSWRAP: { nodeName: 'ProcessWrap', hint: 'a child process still running: kill it or wait for it to exit; .unref() it only if it should outlive you' },
  // No nodeName: process.getActiveResourcesInfo() never lists a Worker (Node 20, 22 and 24), so there is nothing to cross-check.
  WORKER: { hint: 'a worker thread still running: worker.terminate() it, or tell it to stop and await its exit' },
  MESSAGEPORT: { nodeName: 'MessagePort', hint: 'a MessagePort still open: call port.close()' },
  FSEVENTWRAP: { nodeName: 'FSEventWrap', hint: 'an fs.watch() watcher still open: call watcher.close()' },
  STATWATCHER: { nodeName: 'StatWatcher', hint: 'an fs.watchFile() poller still running: call fs.unwatchFile()' },
  SIGNALWRAP: { nodeName: 'SignalWrap', hint: 'a signal listener still installed: process.off() it when done' },
  FSREQCALLBACK: { nodeName: 'FSReqCallback', hint: 'an fs request still pending: await it (or use fs/promises) before finishing' },
  FSREQPROMISE: { nodeName: 'FSReqPromise', hint: 'an fs/promises request still pending: await it before finishing' },
  FILEHANDLE: { hint: 'an fs/promises FileHandle not closed: await handle.close() (or use `await using`)' },
  // The fds profile (collect/fd-profile.ts): descriptors opened through node:fs and never closed.
  fd: { hint: 'a file descriptor opened with fs.open/openSync and never closed: call fs.close(fd)/fs.closeSync(fd) on every path, in a finally' },
  ReadStream: { hint: 'a file read stream neither read to its end nor destroyed: call stream.destroy() on the path that does not pipe it (or create it only once it will be read)' },
  WriteStream: { hint: 'a file write stream never ended or destroyed: call stream.end() (or stream.destroy() on error paths)' },
  FileHandle: { hint: 'an fs.promises FileHandle not closed: await handle.close() in a finally (or use `await using`)' },
  GETADDRINFOREQWRAP: { nodeName: 'GetAddrInfoReqWrap', hint: 'a DNS lookup still pending' },
  TCPCONNECTWRAP: { nodeName: 'TCPConnectWrap', hint: 'a connection attempt still pending: set a connect timeout or abort it' },
  TTYWRAP: { nodeName: 'TTYWrap' },
  DNSCHANNEL: { benign: 'a DNS resolver channel keeps no process alive and is freed with its Resolver' },
  ELDHISTOGRAM: { benign: 'an event-loop-delay histogram keeps no process alive' },
  HTTPINCOMINGMESSAGE: { benign: 'an HTTP message object lives as long as JavaScript holds it; its socket is what matters' },
  HTTPCLIENTREQUEST: { benign: 'an HTTP request object lives as long as JavaScript holds it; its socket is what matters' },
  ZLIB: { benign: 'a zlib stream holds memory, not the event loop; it is freed when collected' },
  RANDOMBYTESREQUEST: { benign: 'a crypto request that completes by itself' },
  PBKDF2REQUEST: { benign: 'a crypto request that completes by itself' },
  SCRYPTREQUEST: { benign: 'a crypto request that completes by itself' },
  Microtask: { benign: 'runs within the current turn' },
  // The async and listeners profiles.
  await: { hint: 'an async function parked at an await that nothing will settle: give the wait a way out (an AbortSignal, a timeout that rejects), or check that the caller still wants the result before waiting' },
  then: { hint: 'a .then() on a promise that nothing will settle: settle that promise on every path, or give the wait a way out' },
  promise: { hint: 'a promise nothing settles: call resolve or reject on every path (errors and timeouts too), or do not create it' },
  listener: { hint: 'a listener added per call and never removed: remove it when the work ends (off/removeEventListener), or add it with { once: true } or an AbortSignal, or once per emitter' },
};

export function nodeNameOf(type: string): string | undefined {
  return TYPES[type]?.nodeName;
}

export function benignReason(type: string): string | undefined {
  return TYPES[type]?.benign;
}

export function hintFor(type: string, label: string, state?: string): string | undefined {
  if (state === UNOPENED) return 'a socket with no file descriptor of its own (never connected, already let go, or TLS over a JavaScript stream): it holds nothing; destroy() it if its connect will never finish';
  if (type === 'Timeout' && label.endsWith('repeat')) {
    return 'a setInterval still ref\'d after the work ended: clearInterval it, or .unref() it if it is background work';
  }
  return TYPES[type]?.hint;
}

/**
 * Kinds that hold something of the system's while they are open — a file descriptor, a port, a
 * peer, a process or thread, an armed timer: what can still be a leak in a process that ended by
 * itself. Anything else (a request, a Blob read, a type leakprof does not know) held nothing then.
 */
const HOLDING = new Set([
  'Timeout', 'TCPWRAP', 'TLSWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'PROCESSWRAP',
  'WORKER', 'MESSAGEPORT', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'FILEHANDLE', 'TTYWRAP',
]);

export function holdsSomething(type: string): boolean {
  return HOLDING.has(type);
}

/** Reverse of nodeNameOf, for names only Node reports. */
export function typeOfNodeName(name: string): string | undefined {
  for (const [type, info] of Object.entries(TYPES)) if (info.nodeName === name) return type;
  return undefined;
}
