/**
 * Heap used after a full GC, so the slope measures retained memory rather than garbage. The gc
 * function is obtained at run time (`--expose-gc` set late, then read from a fresh context) so
 * callers need no node flag; without it, plain heapUsed is the fallback.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

export function getGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return (gcFn = existing);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    gcFn = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

export function heapUsedAfterGc(): number {
  getGc()?.();
  return process.memoryUsage().heapUsed;
}
