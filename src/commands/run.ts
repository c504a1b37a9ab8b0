/** `leakprof run`: run a command under instrumentation and report what is still alive, grouped by creation stack. */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, delimiter, extname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { runWorkload, WorkloadError, type RunOptions, type RunResult } from '../supervise/run-workload.js';
import { colorsFor, plain } from '../report/colors.js';
import { renderReport } from '../report/text-report.js';
import { reportToPprof, writePprofFiles } from '../report/pprof.js';
import type { Report } from '../report/schema.js';
import { parseDuration, parseDurationOption } from '../util/duration.js';
import { parseBytes } from '../util/bytes.js';
import { checkOutputFile } from '../util/output-file.js';
import type { StackMode } from '../transport/messages.js';

export interface ReportFlags {
  debug: string;
  json?: boolean;
  output?: string;
  internals?: boolean;
  summary: boolean;
  pprof?: string;
}

/** How the collector in each process works: shared by run and check. */
export interface CollectorFlags {
  stacks: StackMode;
  stackDepth: string;
  stackBudget: string;
  promiseBudget: string;
  maxEntries: string;
  keepSpool?: boolean;
  fds: boolean;
}

export interface RunFlags extends ReportFlags, CollectorFlags {
  timeout?: string;
  idle?: string;
  grace: string;
  every?: string;
  promises?: boolean;
  listeners?: boolean;
  heap?: boolean;
  heapSnapshots?: string;
  heapDir?: string;
  heapInterval: string;
}

export function addCollectorOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--stacks <mode>', 'creation stacks: auto (every long-lived kind, sampled for busy kinds), all, none').choices(['auto', 'all', 'none']).default('auto'))
    .option('--stack-depth <frames>', 'frames kept per creation stack', '16')
    .option('--stack-budget <per-second>', 'in auto mode, stacks per second the busy kinds may take', '2000')
    .option('--promise-budget <per-second>', 'with --promises: promise stacks per second; above it promises are sampled and counts are estimates (≈)', '20000')
    .option('--max-entries <n>', 'resources listed one by one per snapshot (counts stay exact)', '5000')
    .option('--no-fds', 'do not track file descriptors (the fds profile of fs.open/openSync, file streams and FileHandles left open)')
    .option('--keep-spool', 'keep the folder the processes wrote to (for debugging leakprof)');
}

export function collectorOptions(flags: CollectorFlags): Pick<RunOptions, 'stackMode' | 'stackDepth' | 'stackBudget' | 'promiseBudget' | 'maxEntries' | 'keepSpool' | 'fds'> {
  return {
    fds: flags.fds !== false,
    stackMode: flags.stacks,
    stackDepth: positiveInt(flags.stackDepth, '--stack-depth'),
    stackBudget: positiveInt(flags.stackBudget, '--stack-budget'),
    promiseBudget: positiveInt(flags.promiseBudget, '--promise-budget'),
    maxEntries: positiveInt(flags.maxEntries, '--max-entries'),
    keepSpool: flags.keepSpool,
  };
}

const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/** `leakprof run app.mjs args` is short for `leakprof run -- node app.mjs args`. */
export function resolveCommand(words: string[]): string[] {
  const [first, ...rest] = words;
  if (first === undefined) throw new WorkloadError('no command given: try `leakprof run app.mjs` or `leakprof run -- npm test`', 2);
  // A bare name is looked up on PATH first, as the shell would: `leakprof run -- jest` with a jest/ folder here runs jest.
  if (isFolder(first) && (first.includes(sep) || !onPath(first))) throw new WorkloadError(`${first} is a folder, not a script or a command: give the script in it, such as ${join(first, 'index.js')}`, 2);
  const ext = extname(first);
  if (SCRIPT_EXTENSIONS.has(ext) || ext === '.ts' || ext === '.mts') {
    if (!existsSync(first)) throw new WorkloadError(`script not found: ${first} (check the path; it is relative to ${process.cwd()})`, 2);
    if (ext === '.ts' || ext === '.mts') {
      throw new WorkloadError(`${first} is TypeScript: run it through a loader, e.g. \`leakprof run -- npx tsx ${first}\`, or compile it first`, 2);
    }
    return [process.execPath, first, ...rest];
  }
  if (basename(first) === 'node') return [process.execPath, ...rest];
  return words;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isFile(join(dir, name)));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function addReportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--debug <level>', 'text detail: 1 groups by creation stack with counts, 2 lists every resource').choices(['1', '2']).default('1'))
    .option('--json', 'write the report as JSON to stdout (the workload keeps its own stdout only if you use -o instead)')
    .option('-o, --output <file>', 'write the report to a file: JSON if it ends in .json, else text')
    .option('--internals', "show Node's internal and node_modules frames, and Node's own resources")
    .option('--no-summary', 'leave out the per-type summary table')
    .option('--pprof <file-or-dir>', 'also write pprof profiles (.pb.gz, for `go tool pprof`): one file, or <dir>/<pid>.<profile>.pb.gz per process and profile');
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .summary('run a command under leakprof and report what it left alive')
    .description(
      'Runs a Node command (a script, `npm test`, anything that starts Node) with every Node process instrumented,\n' +
        'and when it ends prints what is still alive — timers, sockets, servers, watchers, child processes —\n' +
        'grouped by the stack that created it, largest group first. The workload\'s stdout, stderr and exit code\n' +
        'are its own; the report goes to stderr (or --json / -o).',
    )
    .argument('<command...>', 'a script (app.mjs) or a command after -- (-- npm test)')
    .option('--timeout <duration>', 'end the workload after this long (e.g. 30s): dump what keeps it alive, SIGTERM it, exit 124')
    .option('--grace <duration>', 'after --timeout, wait this long between SIGTERM and SIGKILL', '2s')
    .option('--idle <duration>', 'end the workload like --timeout as soon as it has been idle this long (every Node process asleep, using no CPU; Linux): for a program that is done but will not exit')
    .option('--every <duration>', 'also print a report this often while the workload runs; groups that keep growing between reports are flagged')
    .option('--promises', 'also track promises: the async profile of pending promises and async functions parked at an await')
    .option('--listeners', 'also track event listeners: the listeners profile of EventEmitter/EventTarget events holding more than 10')
    .option('--heap', 'also find heap leaks: the heap profile (live memory by allocation stack, sampled) and heap snapshots at checkpoints, compared for what stays (the heap leak set)')
    .option('--heap-snapshots <times>', 'with --heap: uptimes of the checkpoint snapshots, e.g. 2s,5s (default 1s,2s, or a third and two thirds of --timeout); one more is taken at the end; "none" for the profile only')
    .option('--heap-dir <dir>', 'with --heap: keep the heap snapshots in this folder (they open in Chrome DevTools); by default they are deleted once read')
    .option('--heap-interval <size>', 'with --heap: average bytes between two sampled allocations', '64KB');
  addCollectorOptions(cmd);
  addReportOptions(cmd);
  cmd.passThroughOptions();
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ leakprof run fixtures/client-per-request/leaky.mjs\n' +
      '  $ leakprof run -- node server.js --port 0\n' +
      '  $ leakprof run --timeout 30s -- npm test\n' +
      '  $ leakprof run --idle 1s --timeout 60s -- node script.mjs   # report as soon as it is done but will not exit\n' +
      '  $ leakprof run --json -- node app.mjs > report.json\n' +
      '  $ leakprof run --heap --timeout 30s -- node server.js     # what the heap keeps, and who holds it\n' +
      '\nWhile it runs: `kill -USR2 <leakprof pid>` prints a report on demand; Ctrl-C prints one and stops.\n' +
      'Exit code: the workload\'s own; 124 after --timeout or --idle; 2 for leakprof\'s own errors.',
  );
  cmd.action(async (words: string[], flags: RunFlags) => {
    const command = resolveCommand(words);
    checkReportOutputs(flags);
    const result = await runWorkload({
      command,
      timeoutMs: flags.timeout !== undefined ? durationFlag(flags.timeout, '--timeout', true) : undefined,
      idleMs: flags.idle !== undefined ? durationFlag(flags.idle, '--idle', true) : undefined,
      graceMs: durationFlag(flags.grace, '--grace', false),
      everyMs: flags.every !== undefined ? durationFlag(flags.every, '--every', true) : undefined,
      ...collectorOptions(flags),
      promises: Boolean(flags.promises),
      listeners: Boolean(flags.listeners),
      ...heapOptions(flags),
      onProgress: (line) => process.stderr.write(colorsFor(process.stderr).dim(`leakprof: ${line}\n`)),
      onPeriodic: (report) => process.stderr.write(onOwnLine() + renderText(report, flags)),
    });
    emitReport(result.report, flags);
    finish(result, command);
  });
  return cmd;
}

/** --heap and its settings, checked: the checkpoint times and the folder the snapshots go to. */
export function heapOptions(flags: Pick<RunFlags, 'heap' | 'heapSnapshots' | 'heapDir' | 'heapInterval' | 'timeout'>): Pick<RunOptions, 'heap'> {
  if (!flags.heap) {
    if (flags.heapSnapshots || flags.heapDir) throw new WorkloadError('--heap-snapshots and --heap-dir need --heap', 2);
    return {};
  }
  let interval: number;
  try {
    interval = parseBytes(flags.heapInterval);
  } catch (error) {
    throw new WorkloadError(`--heap-interval: ${(error as Error).message}`, 2);
  }
  if (interval < 1024) throw new WorkloadError(`--heap-interval must be at least 1KB, got "${flags.heapInterval}"`, 2);
  let checkpoints: number[];
  if (flags.heapSnapshots === 'none') checkpoints = [];
  else if (flags.heapSnapshots) {
    checkpoints = flags.heapSnapshots.split(',').map((t) => {
      try {
        return parseDuration(t.trim());
      } catch (error) {
        throw new WorkloadError(`--heap-snapshots takes durations such as 2s,5s, got "${flags.heapSnapshots}" (${(error as Error).message})`, 2);
      }
    });
  } else if (flags.timeout) {
    const timeout = durationFlag(flags.timeout, '--timeout', true);
    checkpoints = [Math.round(timeout / 3), Math.round((2 * timeout) / 3)];
  } else checkpoints = [1000, 2000];
  if (flags.heapDir) {
    try {
      mkdirSync(flags.heapDir, { recursive: true });
    } catch (error) {
      throw new WorkloadError(`--heap-dir ${flags.heapDir}: ${(error as Error).message}`, 2);
    }
  }
  return { heap: { checkpoints: checkpoints.sort((a, b) => a - b), interval, dir: flags.heapDir ? resolve(flags.heapDir) : undefined } };
}

export function renderText(report: Report, flags: ReportFlags, colored = true): string {
  return renderReport(report, {
    debug: flags.debug === '2' ? 2 : 1,
    internals: Boolean(flags.internals),
    summary: flags.summary,
    colors: colored ? colorsFor(process.stderr) : plain,
  });
}

/** The files the report flags name, checked before the workload runs (one line, exit 2): a run is not spent on a report that cannot be written. */
export function checkReportOutputs(flags: Pick<ReportFlags, 'output' | 'pprof'>, more: Array<[string | undefined, string]> = []): void {
  const files: Array<[string | undefined, string]> = [[flags.output, '-o'], ...more];
  // A --pprof folder is created when missing; a .pb.gz file name is a file.
  if (flags.pprof && /\.pb(\.gz)?$/.test(flags.pprof)) files.push([flags.pprof, '--pprof']);
  try {
    for (const [file, what] of files) if (file !== undefined) checkOutputFile(file, what);
  } catch (error) {
    throw new WorkloadError((error as Error).message, 2);
  }
}

/** Writes the report where the flags say: stderr text by default, JSON to stdout, or a file. */
export function emitReport(report: Report, flags: ReportFlags): void {
  if (flags.pprof) emitPprof(report, flags.pprof);
  if (flags.output) {
    const json = flags.output.endsWith('.json');
    const text = json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, flags, false);
    if (writeOutput(flags.output, text, '-o', 'the report follows on stderr')) process.stderr.write(`leakprof: report written to ${flags.output}\n`);
    else process.stderr.write(text);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!flags.output && !flags.json) process.stderr.write(onOwnLine() + renderText(report, flags));
}

/**
 * A line break when the workload's stderr may have ended mid-line, so the report never starts
 * glued to its last line: read from a file, always on a terminal or a pipe (where it cannot be known).
 */
export function onOwnLine(): string {
  try {
    const stat = fstatSync(2);
    if (!stat.isFile()) return '\n';
    if (stat.size === 0) return '';
    const last = Buffer.alloc(1);
    const fd = openSync(`/proc/self/fd/2`, 'r');
    try {
      readSync(fd, last, 0, 1, stat.size - 1);
    } finally {
      closeSync(fd);
    }
    return last[0] === 0x0a ? '' : '\n';
  } catch {
    return '\n';
  }
}

/**
 * A file written after the run; when that fails anyway (the disk filled up, the folder went), one
 * line says so and what happens instead — the report is never lost and the exit code stays the run's.
 */
export function writeOutput(file: string, text: string, what: string, instead: string): boolean {
  try {
    writeFileSync(file, text);
    return true;
  } catch (error) {
    process.stderr.write(`leakprof: ${what} ${file}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${instead}\n`);
    return false;
  }
}

/** --pprof: the report's profiles as .pb.gz files; where they went goes to stderr. */
export function emitPprof(report: Report, target: string): void {
  let files: string[];
  try {
    files = writePprofFiles(reportToPprof(report), target);
  } catch (error) {
    // The report itself is still printed and the exit code stays the workload's: only the pprof copy is lost.
    process.stderr.write(`leakprof: --pprof ${target}: ${(error as Error).message}\n`);
    return;
  }
  process.stderr.write(files.length > 0 ? `leakprof: pprof written to ${files.join(', ')}\n` : 'leakprof: --pprof: no profiles to write (no Node process reported)\n');
}

/** Leaves leakprof the way the workload left: same exit code, same signal. */
function finish(result: RunResult, command: string[]): void {
  if (result.report.processes.length === 0 && result.exitCode === 0) {
    process.stderr.write(`leakprof: no Node.js process ran under leakprof: \`${command[0]}\` is not Node, or it cleared NODE_OPTIONS\n`);
    process.exitCode = 2;
    return;
  }
  if (result.signal) {
    process.removeAllListeners(result.signal);
    process.kill(process.pid, result.signal);
  }
  process.exitCode = result.exitCode;
}

/** A duration flag, checked: one line naming the flag and the valid range, exit 2. */
export function durationFlag(text: string, flag: string, positive: boolean): number {
  try {
    return parseDurationOption(text, flag, { positive });
  } catch (error) {
    throw new WorkloadError((error as Error).message, 2);
  }
}

export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new WorkloadError(`${flag} takes a whole number, got "${text}"`, 2);
  return n;
}
