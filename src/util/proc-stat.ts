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
  /** Its process group, and its terminal's foreground process group (0 without a terminal). */
  pgrp: number;
  tpgid: number;
}

/** Clock ticks per second for /proc's CPU times: USER_HZ, 100 on every Linux ABI Node runs on. */
const TICK_MS = 10;

export function procStat(pid: number | 'self'): ProcStat | undefined {
  return parseStat(`/proc/${pid}/stat`);
}

/** A thread's running totals from /proc/<pid>/task/<tid>/schedstat, in ms. */
export interface ThreadSched {
  /** Time it ran on a CPU. */
  ranMs: number;
  /** Time it waited, runnable, for a core. */
  waitedMs: number;
  /** In an uninterruptible wait (disk) right now: work under way that neither runs nor waits for a core. */
  inIo: boolean;
}

/**
 * Each thread of a process: how long it has run, and how long it has waited, runnable, for a
 * core. Unlike a look at its state now, these are running totals, so nothing is missed between
 * two looks, however rarely leakprof itself gets a core: a process starved on a busy machine
 * keeps waiting (its wait grows at the clock's pace), an idle one neither runs nor waits.
 * Undefined where /proc does not say.
 */
export function threadScheds(pid: number): Map<string, ThreadSched> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out = new Map<string, ThreadSched>();
  for (const tid of tids) {
    const sched = threadSched(pid, tid);
    if (sched) out.set(tid, sched);
  }
  return out;
}

/** One thread's totals; the main thread by default. */
export function threadSched(pid: number, tid: number | string = pid): ThreadSched | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1');
  } catch {
    return undefined;
  }
  const [ran, waited] = text.split(' ').map(Number);
  if (!Number.isFinite(ran) || !Number.isFinite(waited)) return undefined;
  return { ranMs: ran! / 1e6, waitedMs: waited! / 1e6, inIo: parseStat(`/proc/${pid}/task/${tid}/stat`)?.state === 'D' };
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
  // After the command name: state ppid pgrp session tty_nr tpgid … utime stime.
  return { state: fields[0], cpuMs: (utime + stime) * TICK_MS, pgrp: Number(fields[2]), tpgid: Number(fields[5]) };
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
