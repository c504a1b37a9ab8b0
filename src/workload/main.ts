/**
 * Runnable workload: `node dist/workload/main.js --variant leaky --series 5000 --churn 2000 --duration 10s [--http] [--stats-file F]`.
 * Prints one progress line a second to stderr, writes the result JSON, then returns without
 * process.exit: the fixed variant exits by itself, the leaky one stays up on its leaked timers.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parseDuration } from '../util/duration.js';
import { formatBytes } from '../util/bytes.js';
import { runLoad, type LoadOptions } from './load-driver.js';
import { checkpoint } from '../collect/heap-checkpoints.js';

const USAGE = `usage: node dist/workload/main.js --variant leaky|fixed [--series 5000] [--labels 10] [--churn 2000]
  [--duration 10s] [--push-interval 250ms] [--concurrency 4] [--interval 1s] [--staleness 2s] [--http] [--stats-file F] [--checkpoints]`;

function nonNegativeInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got "${text}"`);
  return n;
}

export function parseLoadArgs(argv: string[]): { options: LoadOptions; statsFile: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      variant: { type: 'string', default: 'fixed' },
      series: { type: 'string', default: '5000' },
      labels: { type: 'string', default: '10' },
      churn: { type: 'string', default: '2000' },
      duration: { type: 'string', default: '10s' },
      'push-interval': { type: 'string', default: '250ms' },
      concurrency: { type: 'string', default: '4' },
      interval: { type: 'string', default: '1s' },
      staleness: { type: 'string', default: '2s' },
      http: { type: 'boolean', default: false },
      'stats-file': { type: 'string' },
      checkpoints: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.variant !== 'leaky' && values.variant !== 'fixed') {
    throw new Error(`--variant must be "leaky" or "fixed", got "${values.variant}"`);
  }
  return {
    options: {
      variant: values.variant,
      series: nonNegativeInt('series', values.series),
      labelsPerSeries: nonNegativeInt('labels', values.labels),
      churnPerSec: nonNegativeInt('churn', values.churn),
      durationMs: parseDuration(values.duration),
      pushIntervalMs: parseDuration(values['push-interval']),
      concurrency: nonNegativeInt('concurrency', values.concurrency),
      http: values.http,
      intervalMs: parseDuration(values.interval),
      stalenessMs: parseDuration(values.staleness),
      // Under `leakprof run --heap`, a heap snapshot at a third and two thirds of the load.
      ...(values.checkpoints ? { onCheckpoint: (label: string) => void checkpoint(label) } : {}),
    },
    statsFile: values['stats-file'],
  };
}

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseLoadArgs(argv);
  } catch (err) {
    process.stderr.write(`ERROR: ${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const { options, statsFile } = parsed;
  const result = await runLoad(options, (p) => {
    process.stderr.write(
      `t=${(p.tMs / 1000).toFixed(0)}s samples/s=${Math.round(p.samplesPerSec)} series=${p.series} ` +
        `heap=${formatBytes(p.heapUsed)} compressor items=${p.compressorItems} bytes=${formatBytes(p.compressorBytes)} generation=${p.generation} handles=${process.getActiveResourcesInfo().length}\n`,
    );
  });
  // CPU the whole process spent (the load, and any instrumentation in it): what an overhead benchmark compares.
  const cpu = process.cpuUsage();
  const json = JSON.stringify({ ...result, cpuMs: (cpu.user + cpu.system) / 1000 }, null, 2) + '\n';
  if (statsFile) writeFileSync(statsFile, json);
  else process.stdout.write(json);
  process.stderr.write(`done: ${options.variant} slope=${formatBytes(Math.abs(result.slopeBytesPerMin))}/min${result.slopeBytesPerMin < 0 ? ' (shrinking)' : ''}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
