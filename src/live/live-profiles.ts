/**
 * What the live endpoint serves, built from this process's collector with the functions `run`
 * uses: the same report (snapshotProcess), the same pprof writer, the same text. Nothing here
 * listens; server.ts does.
 */
import { processCollector, snapshotProcess } from '../check/in-process.js';
import { asOwn } from '../collect/own-activity.js';
import { forceGc } from '../collect/force-gc.js';
import { profileToPprof } from '../report/pprof.js';
import type { PprofData } from '../report/pprof-model.js';
import type { ProcessReport, Report } from '../report/schema.js';
import { assembleReport } from '../analyse/assemble-report.js';
import { renderReport } from '../report/text-report.js';
import { plain } from '../report/colors.js';

/** Go's names for what leakprof calls otherwise, so a scraper's default paths find something. */
export const PROFILE_ALIASES: Record<string, string> = { goroutine: 'handles' };

export const PROFILE_DESCRIPTIONS: Record<string, string> = {
  handles: 'Live handles and requests (sockets, servers, timers, child processes, watchers…) by the stack that created them; what keeps the event loop alive.',
  async: 'Pending promises by creation stack, and what each chain of awaits waits on (needs async in LEAKPROF_PROFILES).',
  listeners: 'Event listeners on emitters holding more than the threshold for one event, by the stack that added them.',
  heap: 'A sampling of live heap objects by allocation stack (V8 sampling heap profiler): inuse_objects and inuse_space.',
};

/** A report of this process now, in the shape `run --json` writes (outcome: running). */
export function liveReport(options: { gc?: boolean } = {}): Report {
  return asOwn(() => {
    if (options.gc) forceGc();
    const proc = snapshotProcess();
    const started = processCollector().startedAt;
    return assembleReport({
      command: [process.argv0, ...process.argv.slice(1)],
      cwd: process.cwd(),
      startedAt: started,
      durationMs: Date.now() - started,
      outcome: { kind: 'running', exitCode: null, signal: null },
      processes: [proc],
    });
  });
}

/** The profile names this process can serve now, in report order. */
export function profileNames(report: Report): string[] {
  return report.processes[0]?.profiles.map((p) => p.name) ?? [];
}

export function findProfile(report: Report, name: string): { proc: ProcessReport; index: number } | undefined {
  const proc = report.processes[0];
  const index = proc?.profiles.findIndex((p) => p.name === name) ?? -1;
  return proc && index >= 0 ? { proc, index } : undefined;
}

/** One profile as pprof data (`debug=0`). */
export function profilePprof(report: Report, name: string, heapPeriod: number): PprofData | undefined {
  const found = findProfile(report, name);
  if (!found) return undefined;
  return profileToPprof(report, found.proc, found.proc.profiles[found.index]!, { heapPeriod });
}

/** One profile as `run` prints it (`debug=1`: groups; `debug=2`: every item). */
export function profileText(report: Report, name: string, debug: 1 | 2): string | undefined {
  const found = findProfile(report, name);
  if (!found) return undefined;
  const proc: ProcessReport = { ...found.proc, profiles: [found.proc.profiles[found.index]!], heapLeaks: undefined };
  return renderReport({ ...report, processes: [proc] }, { debug, internals: false, summary: name === 'handles', colors: plain });
}
