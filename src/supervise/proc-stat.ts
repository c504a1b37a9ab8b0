/**
 * What the OS says of a running process: whether it is runnable and how much CPU it has used.
 * This is how leakprof tells a process that is slow because the machine is busy (runnable,
 * waiting for a core) from one that is blocked (burning CPU, or asleep in a synchronous call)
 * or idle (asleep, using nothing): verdicts follow the workload's own progress, never a
 * wall-clock guess of how fast the machine is.
 *
 * Linux only (/proc/<pid>/stat); elsewhere `procStat` answers undefined and callers fall back
 * to wall-clock bounds.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** R running or runnable, S sleeping, D disk sleep, T stopped, Z zombie, … (proc(5)). */
  state: string;
  /** User + system CPU time, in milliseconds. */
  cpuMs: number;
}

/** Clock ticks per second for /proc's CPU times: USER_HZ, 100 on every Linux ABI Node runs on. */
const TICK_MS = 10;

export function procStat(pid: number): ProcStat | undefined {
  return parseStat(`/proc/${pid}/stat`);
}

/**
 * The process as a whole: its CPU time (all threads) and, for state, R when any of its threads
 * is runnable — a worker thread starved of CPU is work still to do, even while the main thread sleeps.
 */
export function processStat(pid: number): ProcStat | undefined {
  const whole = procStat(pid);
  if (!whole || isBusyState(whole.state)) return whole;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return whole;
  }
  for (const tid of tids) {
    const state = parseStat(`/proc/${pid}/task/${tid}/stat`)?.state;
    if (state !== undefined && isBusyState(state)) return { state, cpuMs: whole.cpuMs };
  }
  return whole;
}

function parseStat(path: string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!fields[0] || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { state: fields[0], cpuMs: (utime + stime) * TICK_MS };
}

/** Runnable or in an uninterruptible wait: it has work to do and is doing it, or waiting for a core. */
export function isBusyState(state: string): boolean {
  return state === 'R' || state === 'D';
}

/** A process and every process below it (children of all its threads, recursively); just the pid where /proc does not say. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (out.includes(next)) continue;
    out.push(next);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let text = '';
      try {
        text = readFileSync(`/proc/${next}/task/${tid}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const child of text.split(' ')) if (child.trim()) todo.push(Number(child));
    }
  }
  return out;
}
