/**
 * Runs a command under leakprof: every Node process it starts is instrumented through
 * NODE_OPTIONS, the child's stdio, exit code and signals stay the user's, and at the end
 * (exit, --timeout, Ctrl-C) leakprof reads what each process sent and builds the report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProcessReport } from '../analyse/build-report.js';
import type { Outcome, ProcessReport, Report } from '../report/schema.js';
import { assembleReport } from '../analyse/assemble-report.js';
import { encodeConfig, ENV_CONFIG, withPreload } from '../transport/env.js';
import { DEFAULT_COLLECTOR_CONFIG, type CollectorConfig, type StackMode } from '../transport/messages.js';
import { REQUEST_POLL_MS, RequestSender } from '../transport/requests.js';
import { countsOf } from '../analyse/growth.js';
import { delay, interruptReachesChild, isRunning, MAX_REQUEST_WAIT_MS, removeSpool, REQUEST_WAIT_MS, Supervisor, trySignal } from '../supervise/supervisor.js';
import { newestSnapshot, spoolPids, SpoolReader, type ProcessSpool } from '../transport/spool-reader.js';
import { linkThreads } from '../analyse/threads.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import { exitCodeForSignal } from '../util/signals.js';
import { addHeapLeaks } from './heap-leaks.js';
import { watchIdle } from '../supervise/idle-watch.js';
import { processTree } from '../util/proc-stat.js';
import { checkTimerRange } from '../util/duration.js';
import { WorkloadError } from '../util/errors.js';

const PRELOAD = fileURLToPath(new URL('../collect/preload.js', import.meta.url));
const EARLY_HOOKS = fileURLToPath(new URL('../collect/early-hooks.cjs', import.meta.url));

export interface RunOptions {
  /** The command and its arguments, as the user typed them. */
  command: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** End the workload after this long: dump what keeps it alive, SIGTERM, then SIGKILL. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** End the workload, like --timeout, once every instrumented process has been idle (asleep, no CPU) this long. */
  idleMs?: number;
  /** Start watching for idleness only once this settles (a load that is quiet by design until it is done). */
  idleFrom?: Promise<unknown>;
  /** Ask for a snapshot this often and hand it to onPeriodic. */
  everyMs?: number;
  stackMode?: StackMode;
  stackDepth?: number;
  stackBudget?: number;
  maxEntries?: number;
  heartbeatMs?: number;
  /** Track pending promises: the async profile. */
  promises?: boolean;
  promiseBudget?: number;
  /** Track event listeners: the listeners profile. */
  listeners?: boolean;
  /** Track file descriptors opened through node:fs: the fds profile (on unless false). */
  fds?: boolean;
  /** The heap profile, and heap snapshots at these uptimes plus one at the end (the heap leak set). */
  heap?: {
    checkpoints: number[];
    interval: number;
    /** Keep the snapshots here; else they go to the spool and are deleted. */
    dir?: string;
    /** check --heap: checkpoints each time the heap after GC grew this much, not at uptimes (CollectorConfig.heapGrowthStep). */
    growthStep?: number;
  };
  /** 'inherit' (default) leaves the workload's stdio untouched. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Called with a report built from fresh snapshots: every --every, and on SIGUSR2 to leakprof (to leakprof itself; the workload's SIGUSR2 is its own). */
  onPeriodic?: (report: Report) => void;
  /**
   * Forward SIGINT/SIGTERM/SIGHUP sent to leakprof to the workload (on by default), after
   * asking it for a last snapshot; a terminal's Ctrl-C, which reached the workload already, is not sent twice.
   */
  forwardSignals?: boolean;
  /** Keep the spool folder (for debugging leakprof). */
  keepSpool?: boolean;
  /** Progress of long steps after the run (reading heap snapshots), one line at a time. */
  onProgress?: (line: string) => void;
  onSpawn?: (child: ChildProcess) => void;
  /** Further collector settings (promises, listeners, gc) passed to every process as they are. */
  collector?: Partial<Omit<CollectorConfig, 'spool'>>;
}

export interface RunResult {
  report: Report;
  /** The exit code leakprof should leave with: the workload's own, 124 on --timeout. */
  exitCode: number;
  /** The signal that ended the workload (or interrupted leakprof's analysis after it), to re-raise on leakprof itself. */
  signal: NodeJS.Signals | null;
}

/** How long a process may take to answer the last request before a forwarded signal: short, the signal must not wait for long. */
const FINAL_WAIT_MS = 1000;
/** An abort with the heap last seen at this share of its limit or more (heartbeats come every second): out of memory. */
const OOM_SHARE = 0.7;
/** With --heap, the last request also writes a heap snapshot: about a second per 100 MB of heap. */
const FINAL_HEAP_WAIT_MS = 15_000;

export async function runWorkload(options: RunOptions): Promise<RunResult> {
  if (options.command.length === 0) throw new WorkloadError('no command to run: give a script or `-- command args…`', 2);
  try {
    for (const name of ['timeoutMs', 'graceMs', 'everyMs'] as const) checkTimerRange(options[name], name);
  } catch (error) {
    throw new WorkloadError((error as Error).message, 2);
  }
  const cwd = options.cwd ?? process.cwd();
  const spool = mkdtempSync(join(tmpdir(), 'leakprof-'));
  const config: CollectorConfig = {
    ...DEFAULT_COLLECTOR_CONFIG,
    ...options.collector,
    spool,
    stackMode: options.stackMode ?? DEFAULT_COLLECTOR_CONFIG.stackMode,
    stackDepth: options.stackDepth ?? DEFAULT_COLLECTOR_CONFIG.stackDepth,
    stackBudget: options.stackBudget ?? DEFAULT_COLLECTOR_CONFIG.stackBudget,
    maxEntries: options.maxEntries ?? DEFAULT_COLLECTOR_CONFIG.maxEntries,
    fds: options.fds ?? DEFAULT_COLLECTOR_CONFIG.fds,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_COLLECTOR_CONFIG.heartbeatMs,
    promises: options.promises ?? DEFAULT_COLLECTOR_CONFIG.promises,
    promiseBudget: options.promiseBudget ?? DEFAULT_COLLECTOR_CONFIG.promiseBudget,
    listeners: options.listeners ?? DEFAULT_COLLECTOR_CONFIG.listeners,
    ...(options.heap ? { heap: true, heapInterval: options.heap.interval, heapSnapshots: options.heap.checkpoints, heapDir: options.heap.dir ?? '', heapGrowthStep: options.heap.growthStep ?? 0 } : {}),
  };
  const baseEnv = options.env ?? process.env;
  const env = { ...baseEnv, NODE_OPTIONS: withPreload(baseEnv.NODE_OPTIONS, PRELOAD, EARLY_HOOKS), [ENV_CONFIG]: encodeConfig(config) };
  const startedAt = Date.now();
  const [file, ...args] = options.command as [string, ...string[]];

  const child = spawn(file, args, { cwd, env, stdio: options.stdio ?? 'inherit' });
  options.onSpawn?.(child);
  const supervisor = new Supervisor(child, spool, Math.min(config.heartbeatMs, REQUEST_POLL_MS), countsOf);
  const finalWaitMs = options.heap ? FINAL_HEAP_WAIT_MS : FINAL_WAIT_MS;
  const graceMs = options.graceMs ?? 2000;
  const cleanups: Array<() => void> = [];

  let outcomeKind: Outcome['kind'] = 'exit';
  let blocked = new Set<number>();

  const periodic = async (): Promise<void> => {
    // Without a printer (check --every) the snapshots still go to the spool: the report's growth series.
    const { blocked: late } = await supervisor.requestSnapshots(REQUEST_WAIT_MS);
    if (supervisor.ended || !options.onPeriodic) return;
    options.onPeriodic(assemble(late, { kind: 'running', exitCode: null, signal: null }));
  };
  const assemble = (late: Set<number>, outcome: Outcome): Report => {
    const spools = supervisor.reader.read();
    return assembleReport({ command: options.command, cwd, startedAt, durationMs: Date.now() - startedAt, outcome, processes: collectProcesses(spools, supervisor.reader.threads(), cwd, late) });
  };

  if (options.everyMs && options.everyMs > 0) {
    const every = setInterval(() => void periodic(), options.everyMs);
    cleanups.push(() => clearInterval(every));
  }
  const onUsr2 = (): void => {
    if (options.onPeriodic) void periodic();
  };
  process.on('SIGUSR2', onUsr2);
  cleanups.push(() => process.off('SIGUSR2', onUsr2));

  // The signal leakprof passed on (or the terminal sent to the whole group), for the outcome when the workload ends by itself after it.
  let signalled: NodeJS.Signals | undefined;
  if (options.forwardSignals !== false) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      let asked = false;
      const forward = (): void => {
        signalled = signal;
        // A terminal's Ctrl-C went to the whole foreground group, the workload included: once is enough.
        if (signal === 'SIGINT' && interruptReachesChild(child.pid)) return;
        // A second one does not wait for the last snapshot again.
        if (asked) return supervisor.signalAll(signal);
        asked = true;
        supervisor.pendingRequest = supervisor.requestSnapshots(finalWaitMs, signal).then(() => supervisor.signalAll(signal));
      };
      process.on(signal, forward);
      cleanups.push(() => process.off(signal, forward));
    }
  }

  let timedOut = false;
  let ending = false;
  let idleEnded = false;
  let timeoutHandled: Promise<void> = Promise.resolve();
  const endNow = (): void => {
    if (ending) return;
    ending = true;
    timedOut = true;
    timeoutHandled = (async () => {
      // A slow process (a loaded machine) gets the grace period to answer: its SIGTERM, when no handler of its own, ends it at once.
      const result = await supervisor.requestSnapshots(Math.max(REQUEST_WAIT_MS, graceMs, finalWaitMs), 'timeout');
      blocked = result.blocked;
      // It wrote its exit snapshot: its exit is on the way.
      // Under --heap it may be writing its last heap snapshot: leakprof's own time, waited for as long as a last snapshot may take.
      if (!supervisor.ended && supervisor.saidExit(child.pid)) await Promise.race([supervisor.exited.catch(() => undefined), delay(options.heap ? finalWaitMs : 1000)]);
      // It ended on its own while it was asked for a last snapshot (a load finishing just at the deadline): not a timeout.
      if (supervisor.ended) timedOut = false;
      else supervisor.terminate(graceMs);
    })();
  };
  if (options.timeoutMs && options.timeoutMs > 0) {
    // Heap snapshots stop the workload while leakprof writes them: that time is leakprof's, so
    // the deadline moves by it (the children say how long each one took).
    // One being written at the deadline is waited for (polled; the wait is credited as it goes).
    const snapshotDir = options.heap ? (options.heap.dir ?? spool) : undefined;
    let credited = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number): void => {
      timer = setTimeout(() => {
        const own = ownSnapshotMs(supervisor.reader.read());
        if (own > credited) {
          const extra = own - credited;
          credited = own;
          return arm(extra);
        }
        if (snapshotDir && credited < MAX_SNAPSHOT_CREDIT_MS && writingSnapshot(supervisor.reader.read(), snapshotDir)) {
          credited += REQUEST_POLL_MS;
          return arm(REQUEST_POLL_MS);
        }
        endNow();
      }, ms);
    };
    arm(options.timeoutMs);
    cleanups.push(() => clearTimeout(timer));
  }
  let idleUnsupported = false;
  if (options.idleMs && options.idleMs > 0) {
    const idleMs = options.idleMs;
    let stopped = false;
    let stopWatch = (): void => {
      stopped = true;
    };
    cleanups.push(() => stopWatch());
    void (options.idleFrom ?? Promise.resolve()).then(() => {
      if (stopped) return;
      const watch = watchIdle({
        idleMs,
        // Every process below the command (one still starting has not said hello yet), and any instrumented one that left the tree.
        pids: () => (spoolPids(spool).length === 0 ? [] : [...new Set([...(child.pid ? processTree(child.pid) : []), ...spoolPids(spool)])]),
        onIdle: () => {
          idleEnded = !ending;
          endNow();
        },
      });
      if (watch) stopWatch = watch.stop;
      else idleUnsupported = true;
    });
  }

  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await supervisor.exited;
  } catch (error) {
    for (const cleanup of cleanups) cleanup();
    removeSpool(spool);
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new WorkloadError(`command not found: ${file} (is it installed and on PATH?)`, 127);
    if (err.code === 'EACCES') throw new WorkloadError(`cannot run ${file}: permission denied`, 126);
    throw new WorkloadError(`cannot run ${file}: ${err.message}`, 2);
  }
  for (const cleanup of cleanups) cleanup();
  await supervisor.pendingRequest;
  await timeoutHandled;
  // The command ended by itself: a process below it still running (one it left behind) says how it stands now, not
  // in a heartbeat from a while ago; one already gone ended before the run did (check's judge reads the difference).
  if (!timedOut && !exit.signal && supervisor.livePids().length > 0) {
    const { blocked: late } = await supervisor.requestSnapshots(REQUEST_WAIT_MS);
    for (const pid of late) blocked.add(pid);
  }
  if (timedOut) outcomeKind = 'timeout';
  else if (exit.signal) outcomeKind = 'signal';

  const outcome: Outcome = { kind: outcomeKind, exitCode: exit.code, signal: exit.signal };
  if (outcomeKind === 'timeout' && idleEnded) outcome.idleMs = options.idleMs!;
  // It ended by itself after a signal leakprof passed on (a graceful shutdown): its exit code, and the signal it answered.
  if (outcomeKind === 'exit' && signalled) outcome.afterSignal = signalled;
  const spools = supervisor.reader.read({ final: true });
  const report = assemble(blocked, outcome);
  if (idleUnsupported) {
    for (const proc of report.processes) proc.notes.push('--idle needs /proc (Linux) to see whether a process is idle; only --timeout applied');
  }
  if ((timedOut || exit.signal) && child.pid !== undefined) {
    const unheard = unheardChild(child.pid, options.command, startedAt, report.processes, spools);
    if (unheard) report.processes.unshift(unheard);
  }
  markPartial(report, spools, exit);
  const exitCode = timedOut ? 124 : (exit.code ?? (exit.signal ? exitCodeForSignal(exit.signal) : 1));

  // Ctrl-C (or SIGTERM) while the heap snapshots are read: stop reading, delete them, report what there is.
  let interrupted: NodeJS.Signals | null = null;
  if (options.heap) {
    const stop = new Promise<NodeJS.Signals>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        const onSignal = (): void => resolve(signal);
        process.on(signal, onSignal);
        cleanups.push(() => process.off(signal, onSignal));
      }
    });
    const reading = addHeapLeaks(report, spools, { checkpoints: options.heap.checkpoints, keep: options.heap.dir !== undefined, onProgress: options.onProgress }).then(() => null);
    interrupted = await Promise.race([reading, stop]);
    for (const cleanup of cleanups) cleanup();
    if (interrupted) {
      for (const proc of report.processes) {
        if (proc.heapLeaks) continue;
        proc.partial = true;
        proc.notes.push(`heap leak set: not computed, leakprof was interrupted (${interrupted}) while reading the heap snapshots`);
      }
      if (!options.keepSpool) removeHeapSnapshots(spools, options.heap.dir !== undefined);
    }
  }
  if (!options.keepSpool) removeSpool(spool);
  return { report, exitCode, signal: timedOut ? null : (exit.signal ?? interrupted) };
}

/** What leakprof's heap snapshots may add to --timeout at most (a write that never ends, a file left by a failed one). */
const MAX_SNAPSHOT_CREDIT_MS = 300_000;

/** Whether a running process is writing a heap snapshot now: its file is there, its message not yet. */
function writingSnapshot(spools: Map<number, ProcessSpool>, dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  for (const name of names) {
    const match = /^(\d+)-(\d+)\.heapsnapshot$/.exec(name);
    if (!match) continue;
    const entry = spools.get(Number(match[1]));
    if (entry && !entry.heapSnapshots.some((h) => h.seq === Number(match[2])) && isRunning(entry.pid)) return true;
  }
  return false;
}

/** The time every process spent writing heap snapshots so far (leakprof's own, not the workload's). */
function ownSnapshotMs(spools: Map<number, ProcessSpool>): number {
  let ms = 0;
  for (const entry of spools.values()) for (const h of entry.heapSnapshots) ms += h.tookMs ?? 0;
  return ms;
}

/**
 * A process that ended without a last snapshot (killed by a signal it did not catch, out of
 * memory, a terminal's Ctrl-C) is reported from its last heartbeat: say so, and say when Node
 * aborted because the JavaScript heap was full.
 */
function markPartial(report: Report, spools: Map<number, ProcessSpool>, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
  const aborted = exit.signal === 'SIGABRT' || exit.code === exitCodeForSignal('SIGABRT');
  for (const proc of report.processes) {
    if (proc.snapshot.reason !== 'heartbeat' && proc.snapshot.reason !== 'none') continue;
    if (isRunning(proc.pid) && !proc.blocked) continue;
    if (proc.thread) {
      // A terminated worker, or one its process's end took with it, writes no last snapshot: that is how threads end.
      proc.notes.push(
        proc.snapshot.reason === 'heartbeat'
          ? `this is the thread's last heartbeat, from ${formatDuration(proc.snapshot.uptimeMs)} after its process started (a thread ended by terminate() or by its process's end writes no last snapshot)`
          : 'the thread ended before it sent any snapshot',
      );
      continue;
    }
    proc.partial = true;
    const spool = spools.get(proc.pid);
    const limit = spool?.hello?.process.heapLimit;
    const last = proc.memorySamples?.[proc.memorySamples.length - 1];
    const seen = last && limit ? `the heap was ${formatBytes(last.heapUsed)} of its ${formatBytes(limit)} limit at ${formatDuration(last.t)}` : undefined;
    if (aborted && last && limit && last.heapUsed >= limit * OOM_SHARE) {
      proc.outOfMemory = true;
      proc.notes.unshift(`ran out of memory: Node aborted (JavaScript heap out of memory); ${seen}, the last it sent; this report is its last heartbeat`);
      report.outcome.message = 'ran out of memory';
    } else if (aborted) {
      proc.notes.unshift(`partial: it was aborted (SIGABRT) without a last snapshot — Node does this when the JavaScript heap runs out of memory or a native check fails${seen ? `; ${seen}` : ''}; this is its last heartbeat`);
    } else if (!proc.blocked) {
      proc.notes.unshift(
        proc.snapshot.reason === 'heartbeat'
          ? `partial: it ended without a last snapshot (killed, or ended by a signal it did not handle); this is its last heartbeat, from ${formatDuration(proc.snapshot.uptimeMs)} after it started`
          : 'partial: it ended without sending any snapshot',
      );
    }
  }
}

function removeHeapSnapshots(spools: Map<number, ProcessSpool>, kept: boolean): void {
  if (kept) return;
  for (const spool of spools.values()) for (const s of spool.heapSnapshots) rmSync(s.file, { force: true });
}

function collectProcesses(spools: Map<number, ProcessSpool>, threads: ProcessSpool[], cwd: string, blocked: Set<number>): ProcessReport[] {
  const out: ProcessReport[] = [];
  for (const spool of [...spools.values(), ...threads].sort((a, b) => (a.hello?.process.startedAt ?? 0) - (b.hello?.process.startedAt ?? 0))) {
    const report = buildProcessReport(spool, { cwd, blocked });
    if (report) out.push(report);
  }
  return linkThreads(out);
}

/**
 * The direct child, when it was ended (by --timeout or a signal) before leakprof's preload
 * ran in it and so never said hello: it must not vanish from the report. Only for a Node
 * command: another command's Node children speak for themselves, and a report with no
 * process at all already says that the command did not start Node.
 */
function unheardChild(pid: number, command: string[], startedAt: number, reported: ProcessReport[], spools: Map<number, ProcessSpool>): ProcessReport | undefined {
  if (spools.get(pid)?.hello || reported.some((p) => p.pid === pid)) return undefined;
  if (!looksLikeNode(command[0] ?? '')) return undefined;
  return {
    pid,
    ppid: process.pid,
    argv: command,
    execArgv: [],
    nodeVersion: '',
    snapshot: { reason: 'none', time: new Date(startedAt).toISOString(), uptimeMs: Date.now() - startedAt },
    blocked: true,
    notes: [
      "killed before leakprof's collector started in it: it was still starting up (or stuck in code that runs before leakprof's --import preload, such as a --require'd module), so nothing was collected",
    ],
    stackMode: 'auto',
    memory: { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
    profiles: [],
    summary: [],
    crossCheck: [],
  };
}

function looksLikeNode(file: string): boolean {
  return file === process.execPath || /^node(\d+)?(\.exe)?$/i.test(basename(file));
}
