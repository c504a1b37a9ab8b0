/**
 * leakprof's own resources (its signal handler, heartbeat timer) must never show in a
 * report. Whatever leakprof creates is created inside `asOwn`, and the collector ignores
 * resources whose init runs while the flag is up.
 */
let depth = 0;

export function isOwnActivity(): boolean {
  return depth > 0;
}

export function asOwn<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
