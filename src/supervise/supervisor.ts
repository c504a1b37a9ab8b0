/**
 * Process control for a run: the command's process and every instrumented process below it —
 * asking them for snapshots (through the spool's requests file) and telling a slow one from a
 * blocked one by its own CPU and sleep (/proc), passing signals on, ending them. It reads the
 * spool as it grows; it builds no report (src/run does, with analyse).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { SnapshotMessage } from '../transport/messages.js';
import { RequestSender } from '../transport/requests.js';
import { newestSnapshot, spoolPids, SpoolReader } from '../transport/spool-reader.js';
import { procStat, threadSched, type ProcStat } from '../util/proc-stat.js';

/**
 * A snapshot request unanswered after this much of the process's own CPU, or this long asleep
 * (on top of its poll interval), means a blocked event loop.
 */
export const REQUEST_WAIT_MS = 1500;
/** The most a request waits for a process that is runnable but starved of CPU by a busy machine. */
export const MAX_REQUEST_WAIT_MS = 30_000;

/**
 * True when a SIGINT to leakprof was a terminal's Ctrl-C that the workload got as well: leakprof
 * is in its terminal's foreground process group and the workload is in the same group. Read from
 * /proc (pgrp and tpgid of /proc/<pid>/stat); elsewhere leakprof forwards as before.
 */
export function interruptReachesChild(childPid: number | undefined): boolean {
  if (childPid === undefined) return false;
  const own = procStat('self');
  const child = procStat(childPid);
  if (!own || !child) return false;
  return own.tpgid > 0 && own.tpgid === own.pgrp && child.pgrp === own.pgrp;
}

/** The running workload: its process, the instrumented processes it started, and how to ask them for snapshots. */
export class Supervisor {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pendingRequest: Promise<unknown> = Promise.resolve();
  private done = false;

  /** The command's process has exited. */
  get ended(): boolean {
    return this.done;
  }

  private readonly requests: RequestSender;
  /** Reads the spool as it grows (each byte once); its snapshots are folded into growth series as they come. */
  readonly reader: SpoolReader;

  constructor(
    private readonly child: ChildProcess,
    private readonly spool: string,
    /** How often each process polls for requests (its heartbeat interval), the least it can take to answer. */
    private readonly pollMs: number,
    /** Folds each appended snapshot into counts per group, for the growth series (analyse's, handed in by the caller). */
    digest: (snapshot: SnapshotMessage) => Map<string, number>,
  ) {
    this.requests = new RequestSender(spool);
    this.reader = new SpoolReader(spool, digest);
    this.exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  /** The process wrote its exit snapshot. */
  saidExit(pid: number | undefined): boolean {
    return pid !== undefined && (this.reader.read({ latest: false }).get(pid)?.snapshots.some((s) => s.reason === 'exit') ?? false);
  }

  /** Instrumented processes that are still running. */
  livePids(): number[] {
    const pids: number[] = [];
    for (const spool of this.reader.read({ latest: false }).values()) {
      if (!spool.hello) continue;
      if (spool.snapshots.some((s) => s.reason === 'exit')) continue;
      if (isRunning(spool.pid)) pids.push(spool.pid);
    }
    return pids;
  }

  /**
   * Asks every live instrumented process for a snapshot and waits for the answers. `final` (a
   * signal name, `timeout`): the processes are about to be ended. One that does not answer is
   * blocked only when the OS shows it is: it spent `waitMs` of its own CPU without answering (a
   * busy loop), or slept REQUEST_WAIT_MS past its poll interval with the request pending (a
   * synchronous wait). A process that is only waiting for a core on a busy machine is waited for,
   * up to MAX_REQUEST_WAIT_MS — but before a forwarded signal only `waitMs`: the user's signal
   * must not wait. Without /proc, `waitMs` of wall time is all there is to go on.
   */
  async requestSnapshots(waitMs: number, final?: string): Promise<{ blocked: Set<number> }> {
    const request = (async () => {
      const before = new Map<number, number>();
      for (const spool of this.reader.read({ latest: false }).values()) before.set(spool.pid, newestSnapshot(spool)?.seq ?? 0);
      const threadsBefore = new Map<string, number>();
      for (const spool of this.reader.threads()) threadsBefore.set(`${spool.pid}.${spool.threadId}`, newestSnapshot(spool)?.seq ?? 0);
      const pids = this.livePids();
      const waiting = new Set(pids);
      if (pids.length === 0) return { blocked: waiting };
      try {
        this.requests.send(final);
      } catch {
        return { blocked: new Set<number>() };
      }
      const asked = new Map<number, { stat: ProcStat | undefined; demand: number | undefined; awakeAt: number }>();
      const start = performance.now();
      for (const pid of pids) asked.set(pid, { stat: procStat(pid), demand: demandOf(pid), awakeAt: start });
      const hardBound = final !== undefined && final !== 'timeout' ? this.pollMs + waitMs : Math.max(this.pollMs + waitMs, MAX_REQUEST_WAIT_MS);
      const blocked = new Set<number>();
      while (waiting.size > 0) {
        await delay(50);
        const now = performance.now();
        const spools = this.reader.read({ latest: false });
        for (const pid of [...waiting]) {
          const spool = spools.get(pid);
          const answered = spool?.snapshots.some((s) => s.seq > (before.get(pid) ?? 0) && s.reason !== 'heartbeat');
          if (answered || !isRunning(pid)) {
            waiting.delete(pid);
            continue;
          }
          const seen = asked.get(pid)!;
          const stat = procStat(pid);
          // Its main thread ran, or waited for a core, since the last look: awake, if perhaps starved.
          const demand = demandOf(pid);
          if (demand !== undefined && seen.demand !== undefined && demand - seen.demand > 5) seen.awakeAt = now;
          seen.demand = demand;
          const stuck =
            now - start >= hardBound ||
            (stat === undefined || seen.stat === undefined || demand === undefined
              ? now - start >= this.pollMs + waitMs
              : stat.cpuMs - seen.stat.cpuMs >= waitMs || now - seen.awakeAt >= this.pollMs + REQUEST_WAIT_MS);
          if (stuck) {
            waiting.delete(pid);
            blocked.add(pid);
          }
        }
      }
      await this.threadAnswers(threadsBefore, start + this.pollMs * 2 + REQUEST_WAIT_MS);
      return { blocked };
    })();
    this.pendingRequest = request;
    return request;
  }

  /**
   * Worker threads poll for requests on timers of their own: their answers may come a poll after
   * their process's. Waited for until `until` (a bound, never a verdict: a busy thread is reported
   * from its last heartbeat), so a thread's last state is in before its process is ended.
   */
  private async threadAnswers(before: Map<string, number>, until: number): Promise<void> {
    for (;;) {
      this.reader.read({ latest: false });
      const pending = this.reader.threads().filter((spool) => {
        if (!spool.hello || spool.snapshots.some((s) => s.reason === 'exit') || !isRunning(spool.pid)) return false;
        // Ended (terminated, or exited with no 'exit' event): its OS thread is gone. Without /proc it is waited for.
        const tid = spool.hello.process.thread?.tid;
        if (tid !== undefined && !existsSync(`/proc/${spool.pid}/task/${tid}`)) return false;
        const seq = before.get(`${spool.pid}.${spool.threadId}`) ?? 0;
        return !spool.snapshots.some((s) => s.seq > seq && s.reason !== 'heartbeat');
      });
      if (pending.length === 0 || performance.now() >= until) return;
      await delay(50);
    }
  }

  signalAll(signal: NodeJS.Signals): void {
    if (!this.done) this.child.kill(signal);
  }

  /** SIGTERM the command and every instrumented process, then SIGKILL whatever is left after the grace period. */
  terminate(graceMs: number): void {
    const pids = this.livePids();
    if (!this.done) this.child.kill('SIGTERM');
    for (const pid of pids) trySignal(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (!this.done) this.child.kill('SIGKILL');
      for (const pid of pids) trySignal(pid, 'SIGKILL');
    }, graceMs);
    timer.unref();
    void this.exited.then(() => {
      // Grandchildren may outlive the command; do not leave them behind.
      for (const pid of pids) if (isRunning(pid)) trySignal(pid, 'SIGKILL');
      clearTimeout(timer);
    });
  }
}

/**
 * A detached or unref'd child may still be writing its snapshot while the folder goes
 * (ENOTEMPTY): retry, and never let a failed cleanup cost the report already built.
 */
export function removeSpool(spool: string): void {
  try {
    rmSync(spool, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  } catch {
    // a leftover temp folder is better than a lost report
  }
}

/** What the main thread has asked of the CPUs so far: ran plus waited for a core, in ms. */
function demandOf(pid: number): number | undefined {
  const sched = threadSched(pid);
  return sched ? sched.ranMs + sched.waitedMs : undefined;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
