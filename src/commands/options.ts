/** The flags the commands share, and how each is read: one module, so `run`, `check`, `attach`, `load` and the rest parse them alike. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, delimiter, extname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import type { RunOptions } from '../run/run-workload.js';
import { WorkloadError } from '../util/errors.js';
import { parseDuration, parseDurationOption } from '../util/duration.js';
import { parseBytes } from '../util/bytes.js';
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

/** --heap and its settings (run and check; `when` says when the checkpoints come by default). */
export function addHeapOptions(cmd: Command, when: string): void {
  cmd
    .option('--heap', 'also find heap leaks: the heap profile (live memory by allocation stack, sampled) and heap snapshots at checkpoints, compared for what stays (the heap leak set)')
    .option('--heap-snapshots <times>', `with --heap: uptimes of the checkpoint snapshots, e.g. 2s,5s (${when}); one more is taken at the end; "none" for the profile only`)
    .option('--heap-dir <dir>', 'with --heap: keep the heap snapshots in this folder (they open in Chrome DevTools); by default they are deleted once read')
    .option('--heap-interval <size>', 'with --heap: average bytes between two sampled allocations', '64KB');
}

/**
 * --heap and its settings, checked: the checkpoint times and the folder the snapshots go to.
 * With `growthStep` (check), checkpoints come on growth unless --heap-snapshots gives times.
 */
export function heapOptions(flags: Pick<RunFlags, 'heap' | 'heapSnapshots' | 'heapDir' | 'heapInterval' | 'timeout'>, growthStep?: number): Pick<RunOptions, 'heap'> {
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
  } else if (growthStep !== undefined) {
    checkpoints = [];
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
  const onGrowth = growthStep !== undefined && !flags.heapSnapshots ? { growthStep } : {};
  return { heap: { checkpoints: checkpoints.sort((a, b) => a - b), interval, dir: flags.heapDir ? resolve(flags.heapDir) : undefined, ...onGrowth } };
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

export interface LoadFlags {
  series: string;
  labels: string;
  churn: string;
  concurrency: string;
  http?: boolean;
  interval: string;
  staleness: string;
}

export function addLoadShapeOptions(cmd: Command, defaults: { series: string; churn: string }): Command {
  return cmd
    .option('--series <n>', 'series pushed each tick', defaults.series)
    .option('--labels <n>', 'labels per series', '10')
    .option('--churn <rate>', 'series replaced per second by ones with a fresh label value (e.g. 2000/s)', defaults.churn)
    .option('--concurrency <n>', 'concurrent pushes (HTTP: pool connections)', '4')
    .option('--interval <duration>', 'aggregation (flush) interval', '250ms')
    .option('--staleness <duration>', 'series unseen this long are dropped; also the fixed compressor\'s rotation period', '500ms')
    .option('--http', 'run the aggregator as an HTTP service on loopback and push to it with an undici Pool');
}

/** `2000/s`, `2000` → 2000 per second. */
export function parseRate(text: string): number {
  const match = /^(\d+)(?:\/s)?$/.exec(text.trim());
  if (!match) throw new WorkloadError(`--churn takes a rate such as 2000/s, got "${text}"`, 2);
  return Number(match[1]);
}

export function loadShape(flags: LoadFlags) {
  return {
    series: positiveInt(flags.series, '--series'),
    labelsPerSeries: positiveInt(flags.labels, '--labels'),
    churnPerSec: parseRate(flags.churn),
    concurrency: Math.max(1, positiveInt(flags.concurrency, '--concurrency')),
    http: Boolean(flags.http),
    intervalMs: parseDuration(flags.interval),
    stalenessMs: parseDuration(flags.staleness),
  };
}
