/** Options shared by `leakprof load` and `leakprof demo`: the shape of the synthetic load. */
import { Command } from 'commander';
import { WorkloadError } from '../util/errors.js';
import { positiveInt } from './run.js';
import { parseDuration } from '../util/duration.js';

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
