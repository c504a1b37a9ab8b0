/**
 * `--idle`: ends a workload that has stopped doing anything but will not exit, as soon as that
 * is true, instead of after a fixed --timeout. "Idle" is read from the OS, not guessed from the
 * clock: every instrumented process asleep (not runnable) and using next to no CPU for the whole
 * window. A process starved of CPU on a busy machine is runnable, so it is never idle; a
 * process doing work uses CPU, so it is never idle either. That makes the moment a report is
 * taken follow the workload's progress, whatever the machine's load.
 */
import { isBusyState, processStat, procStat } from './proc-stat.js';

export interface IdleWatchOptions {
  /** How long every process must stay idle. */
  idleMs: number;
  /** The processes to watch (instrumented Node processes that said hello and may still run). */
  pids: () => number[];
  onIdle: () => void;
  /** How often the OS is asked (default 100 ms). */
  sampleMs?: number;
}

interface Sample {
  at: number;
  cpuMs: number;
  busy: boolean;
}

/** CPU a process may use in the window and still be idle: its timers' ticks and leakprof's own heartbeat. */
function cpuAllowance(idleMs: number): number {
  return Math.max(30, idleMs * 0.05);
}

/**
 * Starts watching; returns a stop function. Answers false without watching where the OS does
 * not say (no /proc): the caller keeps its --timeout and says so.
 */
export function watchIdle(options: IdleWatchOptions): { stop: () => void } | false {
  if (procStat(process.pid) === undefined) return false;
  const sampleMs = options.sampleMs ?? 100;
  const history = new Map<number, Sample[]>();
  let fired = false;
  const tick = (): void => {
    if (fired) return;
    const at = performance.now();
    const pids = options.pids();
    const alive: number[] = [];
    for (const pid of pids) {
      const stat = processStat(pid);
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      alive.push(pid);
      let samples = history.get(pid);
      if (!samples) history.set(pid, (samples = []));
      samples.push({ at, cpuMs: stat.cpuMs, busy: isBusyState(stat.state) });
      // Keep one sample from before the window: the baseline its CPU is measured from.
      while (samples.length > 2 && samples[1]!.at <= at - options.idleMs) samples.shift();
    }
    for (const pid of history.keys()) if (!alive.includes(pid)) history.delete(pid);
    if (alive.length === 0) return;
    const idle = alive.every((pid) => {
      const samples = history.get(pid)!;
      const first = samples[0]!;
      const last = samples[samples.length - 1]!;
      if (last.at - first.at < options.idleMs) return false;
      if (last.cpuMs - first.cpuMs > cpuAllowance(options.idleMs)) return false;
      // Runnable in the last two looks: it has work and is waiting for a core, not idle.
      const prev = samples[samples.length - 2];
      return !(last.busy && prev?.busy);
    });
    if (idle) {
      fired = true;
      options.onIdle();
    }
  };
  const timer = setInterval(tick, sampleMs);
  return { stop: () => clearInterval(timer) };
}
