/**
 * Runs a command under leakprof: every Node process it starts is instrumented through
 * NODE_OPTIONS, the child's stdio, exit code and signals stay the user's, and at the end
 * (exit, --timeout, Ctrl-C) leakprof reads what each process sent and builds the report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProcessReport } from '../analyse/build-report.js';
import { REPORT_SCHEMA, type Outcome, type ProcessReport, type Report } from '../report/schema.js';
import { encodeConfig, ENV_CONFIG, withPreload } from '../transport/env.js';
import { DEFAULT_COLLECTOR_CONFIG, type CollectorConfig, type StackMode } from '../transport/messages.js';
import { newestSnapshot, readSpool, spoolPids, type ProcessSpool } from '../transport/spool-reader.js';
import { addHeapLeaks } from './heap-leaks.js';
import { watchIdle } from './idle-watch.js';
import { processTree, procStat, threadSched, type ProcStat } from './proc-stat.js';
import { toolVersion } from '../version.js';
import { checkTimerRange } from '../util/duration.js';

const PRELOAD = fileURLToPath(new URL('../collect/preload.js', import.meta.url));

export class WorkloadError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

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
  /** The heap profile, and heap snapshots at these uptimes plus one at the end (the heap leak set). */
  heap?: { checkpoints: number[]; interval: number; /** Keep the snapshots here; else they go to the spool and are deleted. */ dir?: string };
  /** 'inherit' (default) leaves the workload's stdio untouched. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Called with a report built from fresh snapshots: every --every, and on SIGUSR2 to leakprof. */
  onPeriodic?: (report: Report) => void;
  /** Forward SIGINT/SIGTERM/SIGHUP sent to leakprof to the workload (on by default). */
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
  /** The signal that ended the workload, to re-raise on leakprof itself. */
  signal: NodeJS.Signals | null;
}

/** A snapshot request unanswered after this much of the process's own CPU, or this long asleep, means a blocked event loop. */
const REQUEST_WAIT_MS = 1500;
/** The most a request waits for a process that is runnable but starved of CPU by a busy machine. */
const MAX_REQUEST_WAIT_MS = 30_000;

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
    heartbeatMs: options.heartbeatMs ?? DEFAULT_COLLECTOR_CONFIG.heartbeatMs,
    promises: options.promises ?? DEFAULT_COLLECTOR_CONFIG.promises,
    promiseBudget: options.promiseBudget ?? DEFAULT_COLLECTOR_CONFIG.promiseBudget,
    listeners: options.listeners ?? DEFAULT_COLLECTOR_CONFIG.listeners,
    ...(options.heap ? { heap: true, heapInterval: options.heap.interval, heapSnapshots: options.heap.checkpoints, heapDir: options.heap.dir ?? '' } : {}),
  };
  const baseEnv = options.env ?? process.env;
  const env = { ...baseEnv, NODE_OPTIONS: withPreload(baseEnv.NODE_OPTIONS, PRELOAD), [ENV_CONFIG]: encodeConfig(config) };
  const startedAt = Date.now();
  const [file, ...args] = options.command as [string, ...string[]];

  const child = spawn(file, args, { cwd, env, stdio: options.stdio ?? 'inherit' });
  options.onSpawn?.(child);
  const supervisor = new Supervisor(child, spool, config.signal as NodeJS.Signals);
  const cleanups: Array<() => void> = [];

  let outcomeKind: Outcome['kind'] = 'exit';
  let blocked = new Set<number>();

  const periodic = async (): Promise<void> => {
    if (!options.onPeriodic) return;
    const { blocked: late } = await supervisor.requestSnapshots();
    options.onPeriodic(assemble(late, { kind: 'exit', exitCode: null, signal: null }));
  };
  const assemble = (late: Set<number>, outcome: Outcome): Report => ({
    schema: REPORT_SCHEMA,
    tool: { name: 'leakprof', version: toolVersion() },
    command: options.command,
    cwd,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    outcome,
    processes: collectProcesses(readSpool(spool), cwd, late),
  });

  if (options.everyMs && options.everyMs > 0) {
    const every = setInterval(() => void periodic(), options.everyMs);
    cleanups.push(() => clearInterval(every));
  }
  const onUsr2 = (): void => void periodic();
  process.on('SIGUSR2', onUsr2);
  cleanups.push(() => process.off('SIGUSR2', onUsr2));

  if (options.forwardSignals !== false) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // The child usually gets a terminal's Ctrl-C itself; forwarding covers `kill <leakprof pid>`.
      const forward = (): void => {
        outcomeKind = 'signal';
        supervisor.signalAll(signal);
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
      const result = await supervisor.requestSnapshots();
      blocked = result.blocked;
      // It ended on its own while it was asked for a last snapshot (a load finishing just at the deadline): not a timeout.
      if (supervisor.ended) timedOut = false;
      else supervisor.terminate(options.graceMs ?? 2000);
    })();
  };
  if (options.timeoutMs && options.timeoutMs > 0) {
    const timer = setTimeout(endNow, options.timeoutMs);
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
  if (timedOut) outcomeKind = 'timeout';
  else if (exit.signal) outcomeKind = 'signal';

  const outcome: Outcome = { kind: outcomeKind, exitCode: exit.code, signal: exit.signal };
  if (outcomeKind === 'timeout' && idleEnded) outcome.idleMs = options.idleMs!;
  const report = assemble(blocked, outcome);
  if (idleUnsupported) {
    for (const proc of report.processes) proc.notes.push('--idle needs /proc (Linux) to see whether a process is idle; only --timeout applied');
  }
  if ((timedOut || exit.signal) && child.pid !== undefined) {
    const unheard = unheardChild(child.pid, options.command, startedAt, report.processes, readSpool(spool));
    if (unheard) report.processes.unshift(unheard);
  }
  if (options.heap) {
    await addHeapLeaks(report, readSpool(spool), { checkpoints: options.heap.checkpoints, keep: options.heap.dir !== undefined, onProgress: options.onProgress });
  }
  if (!options.keepSpool) removeSpool(spool);
  const exitCode = timedOut ? 124 : (exit.code ?? (exit.signal ? 128 + signalNumber(exit.signal) : 1));
  return { report, exitCode, signal: timedOut ? null : exit.signal };
}

function collectProcesses(spools: Map<number, ProcessSpool>, cwd: string, blocked: Set<number>): ProcessReport[] {
  const out: ProcessReport[] = [];
  for (const spool of [...spools.values()].sort((a, b) => (a.hello?.process.startedAt ?? 0) - (b.hello?.process.startedAt ?? 0))) {
    const report = buildProcessReport(spool, { cwd, blocked });
    if (report) out.push(report);
  }
  return out;
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

/** The running workload: its process, the instrumented processes it started, and how to ask them for snapshots. */
class Supervisor {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pendingRequest: Promise<unknown> = Promise.resolve();
  private done = false;

  /** The command's process has exited. */
  get ended(): boolean {
    return this.done;
  }

  constructor(
    private readonly child: ChildProcess,
    private readonly spool: string,
    private readonly requestSignal: NodeJS.Signals,
  ) {
    this.exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  /** Instrumented processes that are still running. */
  livePids(): number[] {
    const pids: number[] = [];
    for (const spool of readSpool(this.spool).values()) {
      if (!spool.hello) continue;
      if (spool.snapshots.some((s) => s.reason === 'exit')) continue;
      if (isRunning(spool.pid)) pids.push(spool.pid);
    }
    return pids;
  }

  /**
   * Asks every live instrumented process for a snapshot and waits for the answers. One that does
   * not answer is blocked only when the OS shows it is: it spent REQUEST_WAIT_MS of its own CPU
   * without answering (a busy loop), or slept that long with the request pending (a synchronous
   * wait). A process that is only waiting for a core on a busy machine is waited for, up to
   * MAX_REQUEST_WAIT_MS. Without /proc, REQUEST_WAIT_MS of wall time is all there is to go on.
   */
  async requestSnapshots(): Promise<{ blocked: Set<number> }> {
    const request = (async () => {
      const before = new Map<number, number>();
      for (const spool of readSpool(this.spool).values()) before.set(spool.pid, newestSnapshot(spool)?.seq ?? 0);
      const pids = this.livePids();
      const asked = new Map<number, { stat: ProcStat | undefined; demand: number | undefined; awakeAt: number }>();
      const start = performance.now();
      for (const pid of pids) {
        asked.set(pid, { stat: procStat(pid), demand: demandOf(pid), awakeAt: start });
        trySignal(pid, this.requestSignal);
      }
      const waiting = new Set(pids);
      const blocked = new Set<number>();
      while (waiting.size > 0) {
        await delay(50);
        const now = performance.now();
        const spools = readSpool(this.spool);
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
            now - start >= MAX_REQUEST_WAIT_MS ||
            (stat === undefined || seen.stat === undefined || demand === undefined
              ? now - start >= REQUEST_WAIT_MS
              : stat.cpuMs - seen.stat.cpuMs >= REQUEST_WAIT_MS || now - seen.awakeAt >= REQUEST_WAIT_MS);
          if (stuck) {
            waiting.delete(pid);
            blocked.add(pid);
          }
        }
      }
      return { blocked };
    })();
    this.pendingRequest = request;
    return request;
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
function removeSpool(spool: string): void {
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGUSR2: 12 };
  return numbers[signal] ?? 1;
}
