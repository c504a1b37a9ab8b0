/**
 * After a `run --heap`: each process's checkpoint heap snapshots become its heap leak set
 * (first, second and last compared). A snapshot that cannot be read (a process killed while
 * writing its last one) is left out and said; the rest of the report is never lost over it.
 */
import { rmSync } from 'node:fs';
import { findHeapLeaks } from '../analyse/heap/leak-set.js';
import type { Report } from '../report/schema.js';
import type { ProcessSpool } from '../transport/spool-reader.js';
import { formatDuration } from '../util/duration.js';

export interface HeapLeakOptions {
  /** The checkpoints asked for (uptimes, ms), to say why a short run has too few snapshots. */
  checkpoints: number[];
  /** Keep the files (--heap-dir); else they are deleted once read. */
  keep: boolean;
  onProgress?: (line: string) => void;
}

export async function addHeapLeaks(report: Report, spools: Map<number, ProcessSpool>, options: HeapLeakOptions): Promise<void> {
  for (const proc of report.processes) {
    let snapshots = (spools.get(proc.pid)?.heapSnapshots ?? []).sort((a, b) => a.seq - b.seq);
    try {
      if (snapshots.length < 3) {
        // A wrapper process (npm, a runner's parent) that ended before any checkpoint is not worth a note.
        if (snapshots.length > 0 || report.processes.length === 1) proc.notes.push(tooFew(snapshots.length, options.checkpoints, proc.snapshot.uptimeMs));
        continue;
      }
      options.onProgress?.(`reading ${snapshots.length} heap snapshots of pid ${proc.pid}…`);
      while (snapshots.length >= 3) {
        try {
          proc.heapLeaks = await findHeapLeaks(
            snapshots.map((s) => ({ file: s.file, label: s.label, uptimeMs: s.uptimeMs })),
            { onProgress: options.onProgress, keepFiles: true, checkInput: false },
          );
          if (!options.keep) for (const s of proc.heapLeaks.snapshots) s.file = null;
          break;
        } catch (error) {
          // The last one is the likely casualty (killed mid-write): compare the ones before it.
          const last = snapshots[snapshots.length - 1]!;
          proc.notes.push(`heap snapshot ${last.seq} (${last.label}) could not be read: ${(error as Error).message}`);
          snapshots = snapshots.slice(0, -1);
        }
      }
      if (!proc.heapLeaks && snapshots.length < 3) proc.notes.push('heap leak set: fewer than three readable heap snapshots');
    } finally {
      if (!options.keep) for (const s of spools.get(proc.pid)?.heapSnapshots ?? []) rmSync(s.file, { force: true });
    }
  }
}

function tooFew(taken: number, checkpoints: number[], uptimeMs: number): string {
  if (checkpoints.length === 0) return `heap leak set: ${taken} heap snapshot(s); it takes three: call checkpoint() from the code, or give --heap-snapshots`;
  const asked = checkpoints.map((t) => formatDuration(t)).join(', ');
  return `heap leak set: it takes three heap snapshots and this process took ${taken} (checkpoints at ${asked}, the process ran ${formatDuration(uptimeMs)}): give --heap-snapshots earlier times, or call checkpoint() from the code`;
}
