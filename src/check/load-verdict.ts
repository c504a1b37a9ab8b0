/** The one-line conclusion on a built-in load run: memory trend, compressor growth, and the handles that kept it alive. */
import type { BuiltinLoadRun } from '../run/builtin-load.js';
import type { GroupReport, HeapLeakGroup } from '../report/schema.js';
import { renderPath } from '../report/heap-text.js';
import { formatBytes } from '../util/bytes.js';
import { topHeapLeak } from '../analyse/heap/top-leak.js';
import { heapTrend } from '../analyse/growth.js';

export interface LoadVerdict {
  variant: string;
  leaking: boolean;
  /** Heap growth after GC, bytes per minute, over the second half of the run. */
  slopeBytesPerMin: number | null;
  memoryGrowing: boolean;
  compressorItems: number | null;
  /** Handles still keeping the process alive after the load ended. */
  leakedHandles: GroupReport[];
  /** With heap snapshots: the largest group of the heap leak set, and who holds it (the end of its path). */
  heapLeak?: { count: number; name: string; heldBy: string; retainedBytes?: number };
  line: string;
}

/** Growth over the judged stretch below this is not the compressor's leak (the load's own buffers move the heap by less). */
const FLAT_GROWTH_BYTES = 1024 * 1024;

export function loadVerdict(run: BuiltinLoadRun): LoadVerdict {
  const main = run.report.processes[0];
  const groups = main?.profiles.find((p) => p.descriptor.holdsProcess)?.groups ?? [];
  const leakedHandles = run.exitedByItself ? [] : groups.filter((g) => g.keepsAlive && !g.internal && !g.benign);
  const slope = run.result ? run.result.slopeBytesPerMin : null;
  // The same trend test as check's heap-growth verdict (a rise the samples after GC show, not a slope over a few
  // of them): a short or starved run has too few samples to tell growth from start-up, and says so.
  const trend = run.result ? heapTrend(run.result.memory.map((m) => ({ t: m.tMs, heapUsed: m.heapUsed, gc: true })), FLAT_GROWTH_BYTES) : undefined;
  const memoryGrowing = trend?.verdict === 'growing';
  const leaking = memoryGrowing || leakedHandles.length > 0;
  const parts: string[] = [];
  if (!trend || slope === null) parts.push('no memory figures (the workload did not finish)');
  else if (memoryGrowing) parts.push(`+${formatBytes(slope)}/min heap after GC (rising over ${trend.judged} samples, p < 0.01)`);
  else parts.push(`${trend.verdict === 'too-few' ? 'heap not judged' : 'flat heap'} (${slope >= 0 ? '+' : ''}${formatBytes(slope)}/min; ${trend.why})`);
  const heapLeak = largestHeapLeak(main?.heapLeaks?.groups ?? []);
  if (heapLeak) parts.push(`heap leak set: ${heapLeak.count.toLocaleString('en-US')} × ${heapLeak.name} held by ${heapLeak.heldBy}`);
  if (run.result) parts.push(`compressor labels ${run.result.compressorItems.toLocaleString('en-US')}${memoryGrowing ? ' and rising' : ''}`);
  if (leakedHandles.length > 0) {
    const count = leakedHandles.reduce((n, g) => n + g.count, 0);
    const where = leakedHandles
      .slice(0, 2)
      .map((g) => `${g.label}${g.top ? ` at ${g.top.file}:${g.top.line}` : ''}`)
      .join(', ');
    parts.push(`${count} handle(s) kept it alive after the load ended: ${where}`);
  } else {
    parts.push(run.exitedByItself ? 'exited by itself, 0 leaked handles' : 'did not exit, but nothing of its own held it');
  }
  return {
    variant: run.options.variant,
    leaking,
    slopeBytesPerMin: slope,
    memoryGrowing,
    compressorItems: run.result?.compressorItems ?? null,
    leakedHandles,
    ...(heapLeak ? { heapLeak } : {}),
    line: `${run.options.variant}: ${parts.join('; ')}`,
  };
}

/** The leak set's largest group, with the last steps of its path: the object and field that hold it. */
function largestHeapLeak(groups: HeapLeakGroup[]): LoadVerdict['heapLeak'] {
  const top = topHeapLeak(groups);
  if (!top) return undefined;
  const g = top.group;
  const out: NonNullable<LoadVerdict['heapLeak']> = { count: g.count, name: g.name, heldBy: renderPath(top.heldFrom) || '(no strong path found)' };
  if (g.retainedBytes !== undefined) out.retainedBytes = g.retainedBytes;
  return out;
}
