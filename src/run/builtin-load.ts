/**
 * Runs the built-in workload (labels compressor + stream aggregator) as a real child
 * process under leakprof's collectors, exactly as `leakprof run` would run a user's
 * program, and returns the handle report together with the workload's own figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../report/schema.js';
import type { LoadResult } from '../workload/load-driver.js';
import { runWorkload } from './run-workload.js';

const ENTRY = fileURLToPath(new URL('../workload/main.js', import.meta.url));

export interface BuiltinLoadOptions {
  variant: 'leaky' | 'fixed';
  series: number;
  labelsPerSeries: number;
  churnPerSec: number;
  durationMs: number;
  concurrency: number;
  http: boolean;
  /** Aggregation interval, and staleness (the fixed compressor's rotation period). */
  intervalMs: number;
  stalenessMs: number;
  /**
   * After the load ends, the process is called stuck once it has been idle this long (asleep, no
   * CPU) without exiting: a judgement on what it does, not on how fast the machine is.
   */
  exitWindowMs?: number;
  /** Where the workload's progress lines go. */
  onProgress?: (line: string) => void;
  /** Heap snapshots at a third and two thirds of the load, and at the end: the heap leak set. */
  heap?: boolean;
}

export interface BuiltinLoadRun {
  options: BuiltinLoadOptions;
  report: Report;
  /** The workload's own figures; undefined if it died before writing them. */
  result: LoadResult | undefined;
  /** True when the process ended on its own once the load was over. */
  exitedByItself: boolean;
}

export async function runBuiltinLoad(options: BuiltinLoadOptions): Promise<BuiltinLoadRun> {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-load-'));
  const statsFile = join(dir, 'stats.json');
  const args = [
    '--enable-source-maps',
    ENTRY,
    '--variant', options.variant,
    '--series', String(options.series),
    '--labels', String(options.labelsPerSeries),
    '--churn', String(options.churnPerSec),
    '--duration', `${options.durationMs}ms`,
    '--concurrency', String(options.concurrency),
    '--interval', `${options.intervalMs}ms`,
    '--staleness', `${options.stalenessMs}ms`,
    '--stats-file', statsFile,
  ];
  if (options.http) args.push('--http');
  if (options.heap) args.push('--checkpoints');
  let loadDone!: () => void;
  const done = new Promise<void>((resolve) => (loadDone = resolve));
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const run = await runWorkload({
      command: [process.execPath, ...args],
      // The fixed variant exits by itself when the load ends; one that is idle after it and still there is kept alive by something.
      idleMs: options.exitWindowMs ?? 1000,
      idleFrom: done,
      // Only a bound, for a process that never goes quiet: generous, since a busy machine slows everything.
      timeoutMs: options.durationMs + 120_000,
      // The last heap snapshot is taken on SIGTERM: give it the time it takes on a loaded machine.
      graceMs: options.heap ? 60_000 : 5_000,
      // Heap snapshots at a third and two thirds of the load, on the load's own clock (--checkpoints).
      ...(options.heap ? { heap: { checkpoints: [], interval: 64 * 1024 } } : {}),
      stdio: 'pipe',
      onSpawn: (child) => {
        if (!options.onProgress) child.stdout?.pipe(process.stdout);
        else child.stdout?.resume();
        let buffered = '';
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            // The workload's last line: the load is over, its figures are written.
            if (line.startsWith('done: ')) loadDone();
            progress(line);
            buffered = buffered.slice(nl + 1);
          }
        });
      },
    });
    let result: LoadResult | undefined;
    try {
      result = JSON.parse(readFileSync(statsFile, 'utf8')) as LoadResult;
    } catch {
      result = undefined;
    }
    return { options, report: run.report, result, exitedByItself: run.report.outcome.kind === 'exit' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
