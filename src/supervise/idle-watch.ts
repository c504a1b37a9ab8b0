/**
 * `--idle`: ends a workload that has stopped doing anything but will not exit, as soon as that
 * is true, instead of after a fixed --timeout. "Idle" is read from the OS, not guessed from the
 * clock: over the whole window, no process below the command ran for more than a sliver of CPU,
 * and none of its threads spent most of any stretch waiting, runnable, for a core (or was seen
 * in a disk wait). A process
 * starved of CPU on a busy machine waits for a core the whole time, so it is never idle; a process
 * doing work runs, so it is never idle either; a process whose only life is a timer's tick runs
 * and waits a little now and then, and is. The moment a report is taken follows the workload's
 * progress, whatever the machine's load.
 */
import { threadScheds, type ThreadSched } from '../util/proc-stat.js';

export interface IdleWatchOptions {
  /** How long every process must stay idle. */
  idleMs: number;
  /** The processes to watch. */
  pids: () => number[];
  onIdle: () => void;
  /** How often the OS is asked (default 100 ms). */
  sampleMs?: number;
}

/** One process: its threads' last totals, and per look the CPU it has run since it was first seen and whether it was starved. */
interface Watched {
  threads: Map<string, ThreadSched>;
  ranMs: number;
  samples: Array<{ at: number; ranMs: number; starved: boolean }>;
}

/** CPU a process may run in the window and still be idle: its timers' ticks and leakprof's own heartbeat. */
function allowance(idleMs: number): number {
  return Math.max(50, idleMs * 0.1);
}

/** A thread that waited for a core this share of the time between two looks had work queued. */
const STARVED_SHARE = 0.5;

/**
 * Starts watching; returns a stop function. Answers false without watching where the OS does
 * not say (no /proc): the caller keeps its --timeout and says so.
 */
export function watchIdle(options: IdleWatchOptions): { stop: () => void } | false {
  if (threadScheds(process.pid) === undefined) return false;
  const sampleMs = options.sampleMs ?? 100;
  const watched = new Map<number, Watched>();
  let fired = false;
  let last = performance.now();
  const tick = (): void => {
    if (fired) return;
    const at = performance.now();
    const elapsed = at - last;
    last = at;
    const alive = new Set<number>();
    for (const pid of options.pids()) {
      const threads = threadScheds(pid);
      if (!threads || threads.size === 0) continue;
      alive.add(pid);
      let w = watched.get(pid);
      if (!w) {
        watched.set(pid, { threads, ranMs: 0, samples: [{ at, ranMs: 0, starved: true }] });
        continue;
      }
      let starved = false;
      for (const [tid, now] of threads) {
        // A thread seen for the first time counts whole: it started since the last look.
        const before = w.threads.get(tid) ?? { ranMs: 0, waitedMs: 0, inIo: false };
        w.ranMs += Math.max(0, now.ranMs - before.ranMs);
        if (now.waitedMs - before.waitedMs >= STARVED_SHARE * elapsed || now.inIo) starved = true;
      }
      w.threads = threads;
      w.samples.push({ at, ranMs: w.ranMs, starved });
      // Keep one sample from before the window: the baseline the window is measured from.
      while (w.samples.length > 2 && w.samples[1]!.at <= at - options.idleMs) w.samples.shift();
    }
    for (const pid of watched.keys()) if (!alive.has(pid)) watched.delete(pid);
    if (alive.size === 0) return;
    const idle = [...alive].every((pid) => {
      const { samples } = watched.get(pid)!;
      const first = samples[0]!;
      const newest = samples[samples.length - 1]!;
      if (newest.at - first.at < options.idleMs) return false;
      if (newest.ranMs - first.ranMs > allowance(options.idleMs)) return false;
      return !samples.slice(1).some((s) => s.starved);
    });
    if (idle) {
      fired = true;
      options.onIdle();
    }
  };
  const timer = setInterval(tick, sampleMs);
  return { stop: () => clearInterval(timer) };
}
