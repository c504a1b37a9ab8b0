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
  /** How long the process may take to exit by itself after the load ends before leakprof calls it stuck. */
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
  try {
    const run = await runWorkload({
      command: [process.execPath, ...args],
      // The fixed variant exits by itself when the load ends; whatever is still running after this window is kept alive by something.
      timeoutMs: options.durationMs + (options.exitWindowMs ?? 3000),
      graceMs: 1000,
      ...(options.heap ? { heap: { checkpoints: [Math.round(options.durationMs / 3), Math.round((2 * options.durationMs) / 3)], interval: 64 * 1024 } } : {}),
      stdio: options.onProgress ? 'pipe' : 'inherit',
      onSpawn: (child) => {
        if (!options.onProgress) return;
        child.stdout?.resume();
        let buffered = '';
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            options.onProgress!(buffered.slice(0, nl));
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
