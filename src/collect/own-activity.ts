/**
 * leakprof's own resources (its signal handler, heartbeat timer) must never show in a
 * report. Whatever leakprof creates is created inside `asOwn`, and the collector ignores
 * resources whose init runs while the flag is up.
 */
let depth = 0;

export function isOwnActivity(): boolean {
  return depth > 0;
}

/**
 * Async ids of what an own tree (asOwnTree: the live endpoint's server) made, and of everything
 * those made in turn by async trigger: an accepted connection, its parser, the timers its
 * callbacks set. Emptied as they are destroyed.
 */
const ownTree = new Set<number>();
let adopting = 0;

/** Like asOwn, and whatever fn makes stays leakprof's own through every resource it triggers. */
export function asOwnTree<T>(fn: () => T): T {
  adopting++;
  try {
    return asOwn(fn);
  } finally {
    adopting--;
  }
}

/** At a resource's init: is it leakprof's own? Records it when it belongs to an own tree. */
export function isOwnInit(asyncId: number, triggerAsyncId: number): boolean {
  if (depth > 0) {
    if (adopting > 0) ownTree.add(asyncId);
    return true;
  }
  if (ownTree.size === 0 || !ownTree.has(triggerAsyncId)) return false;
  ownTree.add(asyncId);
  return true;
}

export function ownDestroyed(asyncId: number): void {
  if (ownTree.size > 0) ownTree.delete(asyncId);
}

/** How many own-tree resources are alive (the endpoint's own footprint, for its tests). */
export function ownTreeSize(): number {
  return ownTree.size;
}

export function asOwn<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
