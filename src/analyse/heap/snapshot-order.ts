/**
 * Are these heap snapshots a leak set's input: different files, of one process, oldest first?
 * `leakprof heap a a a`, a reversed order or snapshots of two processes otherwise give an empty
 * (or meaningless) leak set with no word of why. What can be told is told here, one line each:
 *   - the same file twice, or two files with the same content;
 *   - Node's own file names (`Heap.20260101.120000.<pid>.0.001.heapsnapshot`, from
 *     --heapsnapshot-signal, writeHeapSnapshot() and --heapsnapshot-near-heap-limit) carry the
 *     pid, the time and a sequence number: different pids, or times going backwards;
 *   - V8 numbers objects in the order it first sees them, so a later snapshot's newest objects
 *     have higher ids than anything in an earlier one.
 * Snapshots of two runs of the same program under other names cannot be told apart (V8 numbers
 * the objects of a fresh process alike), and are not claimed to be.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';

export class SnapshotOrderError extends Error {}

const NODE_NAME = /^Heap\.(\d{8})\.(\d{6})\.(\d+)\.(\d+)\.(\d+)\.heapsnapshot$/;

/** Checks the files before any is read: distinct, and by Node's names one process in time order. */
export function checkSnapshotFiles(files: string[]): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    let key: string;
    try {
      const st = statSync(file);
      key = `${st.dev}:${st.ino}`;
    } catch {
      key = realpathOr(file);
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new SnapshotOrderError(`${earlier} and ${file} are the same file: give three different snapshots of one process, oldest first`);
    seen.set(key, file);
  }
  const named = files.map((f) => NODE_NAME.exec(basename(f)));
  if (named.some((m) => m === null)) return;
  const parts = named.map((m) => ({ pid: m![3]!, when: `${m![1]}${m![2]}`, seq: Number(m![5]) }));
  const pids = [...new Set(parts.map((p) => p.pid))];
  if (pids.length > 1) throw new SnapshotOrderError(`the snapshots come from different processes (pids ${pids.join(', ')}, by their names): a leak set compares snapshots of one process`);
  for (let i = 1; i < parts.length; i++) {
    const a = parts[i - 1]!;
    const b = parts[i]!;
    if (b.when < a.when || (b.when === a.when && b.seq < a.seq)) throw new SnapshotOrderError(`${files[i]} was taken before ${files[i - 1]} (by their names): give the snapshots oldest first`);
  }
}

/**
 * Checks two snapshots' ids (each sorted ascending), `earlier` given first: not the same
 * snapshot twice, and not the wrong way round. The wrong way round shows as: the second holds
 * no object newer than the first's newest, while the first holds objects newer than the second's.
 */
export function checkSnapshotPair(earlier: { file: string; ids: Uint32Array; totalBytes: number }, later: { file: string; ids: Uint32Array; totalBytes: number }): void {
  const a = earlier.ids;
  const b = later.ids;
  if (a.length === b.length && earlier.totalBytes === later.totalBytes && a.every((id, i) => id === b[i])) {
    throw new SnapshotOrderError(`${earlier.file} and ${later.file} are the same snapshot (same objects, same sizes): give three snapshots taken at different times`);
  }
  // V8 numbers an object the first time a snapshot sees it, counting up, so what the later
  // snapshot first sees gets ids above everything the earlier one holds. The wrong way round
  // shows as: the first holds objects above the second's newest id, and the second none above
  // the first's. (Comparing the medians of what died and what was born is not enough: Node 24
  // puts ~80 synthetic nodes with small ids in one snapshot and not the other.)
  // V8 gives a few objects ids far off its sequence (hundreds of millions among ids below 10^5): left out.
  const p99 = (ids: Uint32Array) => ids[Math.floor((ids.length - 1) * 0.99)]!;
  const cutoff = Math.max(p99(a), p99(b)) * 1.5;
  const newestA = newest(a, cutoff);
  const newestB = newest(b, cutoff);
  const firstNewer = countAbove(a, newestB, cutoff);
  if (firstNewer >= 10 && countAbove(b, newestA, cutoff) === 0) {
    throw new SnapshotOrderError(
      `${later.file} looks older than ${earlier.file} (${firstNewer} objects ${earlier.file} holds are newer than anything ${later.file} holds, by their ids): give the snapshots oldest first`,
    );
  }
}

/** The highest id of a sorted id column that is not above `cutoff`. */
function newest(sorted: Uint32Array, cutoff: number): number {
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]! <= cutoff) return sorted[i]!;
  return 0;
}

/** How many ids of a sorted column lie in (floor, cutoff]. */
function countAbove(sorted: Uint32Array, floor: number, cutoff: number): number {
  let n = 0;
  for (let i = sorted.length - 1; i >= 0 && sorted[i]! > floor; i--) if (sorted[i]! <= cutoff) n++;
  return n;
}

/** Whether a sorted id column holds `id` (binary search). */
export function hasId(sorted: Uint32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
