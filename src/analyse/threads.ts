/**
 * Worker threads are processes' equals: each has its own section (its collector wrote files of
 * its own). This puts every thread right after its process, reads how it stood at the end off
 * its Worker in the thread that made it, and tells that Worker's group what keeps the thread
 * alive inside ("kept alive by 4 × Timeout 20ms repeat at worker.mjs:7 inside it").
 */
import type { GroupReport, ProcessReport } from '../report/schema.js';

interface WorkerRef {
  owner: ProcessReport;
  group: GroupReport;
}

export function linkThreads(reports: ProcessReport[]): ProcessReport[] {
  const threads = reports.filter((r) => r.thread !== undefined);
  if (threads.length === 0) return reports;
  const workers = new Map<string, WorkerRef>();
  for (const owner of reports) {
    for (const group of owner.profiles.find((p) => p.name === 'handles')?.groups ?? []) {
      if (group.type !== 'WORKER') continue;
      for (const entry of group.entries) {
        const id = entry.details?.threadId;
        if (typeof id === 'number') workers.set(`${owner.pid}.${id}`, { owner, group });
      }
    }
  }
  const byWorker = new Map<GroupReport, ProcessReport[]>();
  for (const thread of threads) {
    const info = thread.thread!;
    const worker = workers.get(`${thread.pid}.${info.id}`);
    if (worker) {
      info.status = worker.group.state === 'unref' ? 'unref' : 'running';
      info.parent = worker.owner.thread?.id ?? 0;
      const made = worker.group.top ?? worker.group.createdBy?.top ?? null;
      if (made) info.createdAt = `${made.file}:${made.line}`;
      const list = byWorker.get(worker.group) ?? [];
      list.push(thread);
      byWorker.set(worker.group, list);
    } else {
      info.status = ownerSaid(reports, thread.pid) ? 'ended' : 'unknown';
    }
  }
  for (const [group, inside] of byWorker) {
    const what = keptAliveBy(inside);
    if (what) {
      group.hint = `a worker thread still running: kept alive by ${what} inside ${inside.length === 1 ? 'it' : 'each'} — stop that inside the worker (its thread's section says where), or worker.terminate() it`;
    }
  }
  // Each thread after its process, in the order they started.
  const out: ProcessReport[] = [];
  for (const proc of reports) {
    if (proc.thread) continue;
    out.push(proc, ...threads.filter((t) => t.pid === proc.pid).sort((a, b) => a.thread!.id - b.thread!.id));
  }
  const placed = new Set(out);
  for (const thread of threads) if (!placed.has(thread)) out.push(thread);
  return out;
}

/** The process's own section holds a last state (so a Worker missing from it had ended). */
function ownerSaid(reports: ProcessReport[], pid: number): boolean {
  return reports.some((r) => r.pid === pid && r.thread === undefined && r.snapshot.reason !== 'none');
}

/** What keeps these threads alive: their own ref'd handles, by label and line (`1 × Timeout 20ms repeat at worker.mjs:7`). */
function keptAliveBy(threads: ProcessReport[]): string | undefined {
  const seen = new Map<string, number[]>();
  for (const thread of threads) {
    const mine = new Map<string, number>();
    for (const group of thread.profiles.find((p) => p.name === 'handles')?.groups ?? []) {
      if (!group.keepsAlive || group.internal || group.benign || group.tool !== undefined) continue;
      const top = group.top ?? group.createdBy?.top ?? null;
      const key = `${group.label}${top ? ` at ${top.file}:${top.line}` : ''}`;
      mine.set(key, (mine.get(key) ?? 0) + group.count);
    }
    for (const [key, count] of mine) seen.set(key, [...(seen.get(key) ?? []), count]);
  }
  if (seen.size === 0) return undefined;
  const parts = [...seen].map(([key, counts]) => {
    const low = Math.min(...counts);
    const high = Math.max(...counts);
    return `${low === high ? low : `${low}–${high}`} × ${key}`;
  });
  return parts.slice(0, 3).join(', ') + (parts.length > 3 ? `, and ${parts.length - 3} more` : '');
}
