/**
 * The synthetic load: a churning series generator pushing into a stream aggregator (and its labels
 * compressor) on a schedule, in process or over HTTP, while the heap is sampled once a second.
 * With the leaky variant heap grows for as long as it runs, and stopping leaves timers behind, so the
 * process does not exit on its own; with the fixed one heap plateaus and the process exits.
 */
import { Pool } from 'undici';
import { createCompressor, type CompressorVariant } from './labels-compressor.js';
import { Aggregator } from './aggregator.js';
import { SeriesGenerator } from './series-generator.js';
import { heapUsedAfterGc } from './heap-sampler.js';
import { memorySlope, type MemorySample } from '../util/memory-slope.js';
import { formatPromText } from './prom-text.js';
import { startImportServer, type ImportServer } from './import-server.js';
import type { Series } from './labels.js';

export interface LoadOptions {
  variant: CompressorVariant;
  series: number;
  labelsPerSeries: number;
  churnPerSec: number;
  durationMs: number;
  /** How often every series gets a sample; default 250 ms. */
  pushIntervalMs?: number;
  /** Concurrent pushes per tick (HTTP: pool connections). */
  concurrency: number;
  http: boolean;
  /** Aggregation interval; default 1000 ms. */
  intervalMs?: number;
  /** Aggregator staleness, hence the fixed compressor's rotation period; default 2000 ms. */
  stalenessMs?: number;
  outputs?: string[];
  seed?: number;
  /**
   * Called at a third and two thirds of the load, on the load's own clock (not the process's
   * uptime, which a slow start on a busy machine would eat): where heap snapshots compare well.
   */
  onCheckpoint?: (label: string) => void;
}

export interface LoadProgress {
  tMs: number;
  samplesPushed: number;
  samplesPerSec: number;
  series: number;
  seriesFlushed: number;
  heapUsed: number;
  compressorItems: number;
  compressorBytes: number;
  generation: number;
}

export interface LoadResult {
  variant: CompressorVariant;
  samplesPushed: number;
  samplesPerSec: number;
  seriesFlushed: number;
  compressorItems: number;
  compressorBytes: number;
  generation: number;
  /** Pushes skipped because the previous one was still in flight. */
  skippedTicks: number;
  memory: MemorySample[];
  /** Heap slope over the second half of the run, after warm-up (the fixed variant needs a few rotation periods to plateau). */
  slopeBytesPerMin: number;
  slopeWholeRunBytesPerMin: number;
}

/** Fresh labels pushed between the heap checkpoints when labels churn: about 150 KB of the leaky compressor's strings. */
const MIN_NEW_LABELS = 3000;

export const DEFAULT_LOAD_OUTPUTS = ['total', 'count_samples', 'count_series', 'max'];

function chunk<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function runLoad(options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
  const pushIntervalMs = options.pushIntervalMs ?? 250;
  const intervalMs = options.intervalMs ?? 1000;
  const stalenessMs = options.stalenessMs ?? 2000;
  const concurrency = Math.max(1, Math.floor(options.concurrency || 1));
  if (!(options.durationMs > 0)) throw new Error(`durationMs must be positive, got ${options.durationMs}`);

  const generator = new SeriesGenerator({
    series: options.series,
    labelsPerSeries: options.labelsPerSeries,
    churnPerSec: options.churnPerSec,
    seed: options.seed ?? 1,
  });
  const compressor = createCompressor(options.variant);
  let seriesFlushed = 0;
  const aggregator = new Aggregator(
    { interval: intervalMs, stalenessInterval: stalenessMs, by: ['job'], outputs: options.outputs ?? DEFAULT_LOAD_OUTPUTS },
    { compressor, pushFunc: (out) => (seriesFlushed += out.length) },
  );

  let server: ImportServer | undefined;
  let pool: Pool | undefined;
  if (options.http) {
    server = await startImportServer((series) => aggregator.push(series));
    pool = new Pool(server.origin, { connections: concurrency });
  }

  const pushChunk = async (part: Series[]): Promise<void> => {
    if (!pool) {
      aggregator.push(part);
      return;
    }
    const res = await pool.request({
      path: '/api/v1/import',
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: formatPromText(part),
    });
    const text = await res.body.text();
    if (res.statusCode !== 204) throw new Error(`import failed with HTTP ${res.statusCode}: ${text.trim()}`);
  };

  const start = Date.now();
  const memory: MemorySample[] = [{ tMs: 0, heapUsed: heapUsedAfterGc() }];
  let samplesPushed = 0;
  let skippedTicks = 0;
  let inFlight = false;
  let failure: Error | undefined;

  // Checkpoints at a third and two thirds of the load, on its own clock, with work between them whatever the
  // machine's pace: the second waits for two more completed pushes than the first saw and, when labels churn, for
  // MIN_NEW_LABELS fresh labels pushed since the first, so the leaky compressor's new labels stand out of the
  // heap's start-up noise however few pushes a starved machine fits in. The load runs until both are taken
  // (churn follows the wall clock, so the wait ends).
  let checkpoints = 0;
  let ticksDone = 0;
  let ticksAtFirst = 0;
  let churnPushed = 0;
  let churnAtFirst = 0;
  const checkpointOnProgress = (): void => {
    if (!options.onCheckpoint) return;
    const elapsed = Date.now() - start;
    if (checkpoints === 0 && elapsed >= options.durationMs / 3) {
      checkpoints = 1;
      ticksAtFirst = ticksDone;
      churnAtFirst = churnPushed;
      options.onCheckpoint('load 1/3');
    } else if (
      checkpoints === 1 &&
      elapsed >= (2 * options.durationMs) / 3 &&
      ticksDone >= ticksAtFirst + 2 &&
      (options.churnPerSec === 0 || churnPushed - churnAtFirst >= MIN_NEW_LABELS)
    ) {
      checkpoints = 2;
      options.onCheckpoint('load 2/3');
    }
  };

  const pushTick = (): void => {
    if (inFlight) {
      skippedTicks++;
      return;
    }
    const now = Date.now();
    generator.advance(now - start);
    const batch = generator.batch(now);
    const churned = generator.churned;
    inFlight = true;
    Promise.all(chunk(batch, concurrency).map(pushChunk))
      .then(() => {
        samplesPushed += batch.length;
        ticksDone++;
        churnPushed = churned;
        checkpointOnProgress();
      })
      .catch((err: Error) => (failure ??= err))
      .finally(() => (inFlight = false));
  };

  const progress = (): LoadProgress => {
    const tMs = Date.now() - start;
    return {
      tMs,
      samplesPushed,
      samplesPerSec: tMs > 0 ? (samplesPushed * 1000) / tMs : 0,
      series: generator.seriesCount,
      seriesFlushed,
      heapUsed: memory[memory.length - 1]!.heapUsed,
      compressorItems: compressor.itemsCount(),
      compressorBytes: compressor.sizeBytes(),
      generation: compressor.generation,
    };
  };

  // The series has its ends whatever the machine's pace: a sample at the start and one at the end, the timer's between.
  memory.push({ tMs: 0, heapUsed: heapUsedAfterGc() });
  pushTick();
  const pushTimer = setInterval(pushTick, pushIntervalMs);

  const sampleTimer = setInterval(() => {
    memory.push({ tMs: Date.now() - start, heapUsed: heapUsedAfterGc() });
    onProgress?.(progress());
  }, 1000);

  try {
    await new Promise<void>((resolve) => setTimeout(resolve, options.durationMs));
    while (options.onCheckpoint && checkpoints < 2 && !failure) await new Promise((resolve) => setTimeout(resolve, pushIntervalMs));
    while (inFlight) await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    clearInterval(pushTimer);
    clearInterval(sampleTimer);
    memory.push({ tMs: Date.now() - start, heapUsed: heapUsedAfterGc() });
    await pool?.close();
    await server?.close();
    // The leaky aggregator leaves its flusher and the compressor's ticker running: by design.
    aggregator.stop();
  }
  if (failure) throw failure;

  const elapsed = Date.now() - start;
  return {
    variant: options.variant,
    samplesPushed,
    samplesPerSec: (samplesPushed * 1000) / elapsed,
    seriesFlushed,
    compressorItems: compressor.itemsCount(),
    compressorBytes: compressor.sizeBytes(),
    generation: compressor.generation,
    skippedTicks,
    memory,
    slopeBytesPerMin: memorySlope(memory.filter((m) => m.tMs >= options.durationMs / 2)),
    slopeWholeRunBytesPerMin: memorySlope(memory),
  };
}
