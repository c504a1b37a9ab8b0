/**
 * A full garbage collection on demand, without asking the user to start Node with
 * --expose-gc: the flag set at run time exposes `gc` in contexts created afterwards, so a
 * fresh vm context hands it over. Used only where a verdict depends on it (check mode, the
 * verification API): resources that die only when collected must not be blamed.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

function resolveGc(): (() => void) | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}

/** Runs a full GC; false when this Node offers no way to. */
export function forceGc(): boolean {
  if (gcFn === undefined) gcFn = resolveGc();
  if (gcFn === null) return false;
  try {
    gcFn();
    return true;
  } catch {
    return false;
  }
}
