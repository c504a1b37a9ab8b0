/**
 * How a process reached its 'exit' event, read from the stack of the exit listener: Node emits
 * it from C++ when the event loop ran empty (no JavaScript below `emit`), from process.exit(),
 * or from its uncaught-error handler. Read once, at exit.
 */
import type { ExitHow } from '../transport/messages.js';

type Site = NodeJS.CallSite;

export function exitHow(): ExitHow {
  const ErrorCtor = Error as ErrorConstructor & { prepareStackTrace?: unknown };
  const savedPrepare = ErrorCtor.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  try {
    ErrorCtor.prepareStackTrace = (_error: Error, sites: Site[]) => sites;
    Error.stackTraceLimit = 50;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, exitHow);
    const sites = Array.isArray(holder.stack) ? (holder.stack as Site[]) : [];
    let how: ExitHow = 'natural';
    for (const site of sites) {
      const file = site.getFileName() ?? '';
      if (file === 'node:internal/process/per_thread' && site.getFunctionName() === 'exit') return 'exit-call';
      if (file === 'node:internal/process/execution') how = 'fatal';
    }
    return how;
  } catch {
    return 'natural';
  } finally {
    ErrorCtor.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}
