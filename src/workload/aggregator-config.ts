/**
 * An aggregator's config as users write it, and its validation into what the aggregator runs on
 * (spec 1.5, VictoriaMetrics' newAggregator). Every error says which field to fix and how.
 */
import { parseDuration } from '../util/duration.js';
import { METRIC_NAME_LABEL } from './labels.js';
import { outputFactories } from './outputs/registry.js';
import type { OutputFactory } from './outputs/output-state.js';

export interface AggregatorConfig {
  /** Required: `1m`, `30s`, or milliseconds. */
  interval: string | number;
  /** Optional: ≤ interval, and interval must be a multiple of it. */
  dedupInterval?: string | number;
  /** Defaults to 2 × interval; must be ≥ interval. */
  stalenessInterval?: string | number;
  by?: string[];
  without?: string[];
  outputs: string[];
  /** Push the final flush on stop (VictoriaMetrics skips it by default). */
  flushOnShutdown?: boolean;
  /** Keep output names as the input metric name instead of adding `:1m_by_job_total`; needs exactly one output. */
  keepMetricNames?: boolean;
}

export interface ResolvedAggregatorConfig {
  intervalMs: number;
  dedupIntervalMs: number;
  stalenessMs: number;
  /** Sorted, deduplicated; includes `__name__` when non-empty. */
  by: string[];
  without: string[];
  aggregateOnlyByTime: boolean;
  outputs: OutputFactory[];
  /** `:1m_by_job_` — the part between the metric name and the output name. */
  suffix: string;
  flushOnShutdown: boolean;
  keepMetricNames: boolean;
}

function durationMs(field: string, value: string | number): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new Error(`${field}: ${(err as Error).message}`);
  }
  return ms;
}

/** How Go's config spells the interval: the user's own text when given, else a compact form of the ms. */
function intervalLabel(value: string | number): string {
  if (typeof value === 'string') return value.trim();
  for (const [unit, ms] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (value % ms === 0) return `${value / ms}${unit}`;
  }
  return `${value}ms`;
}

function sortedUnique(names: readonly string[] | undefined): string[] {
  return [...new Set(names ?? [])].sort();
}

export function resolveAggregatorConfig(cfg: AggregatorConfig): ResolvedAggregatorConfig {
  if (cfg.interval === undefined || cfg.interval === '') {
    throw new Error('interval is required: set it to the aggregation period, e.g. interval: "1m"');
  }
  const intervalMs = durationMs('interval', cfg.interval);
  if (intervalMs <= 0) throw new Error(`interval must be positive, got ${String(cfg.interval)}`);

  let dedupIntervalMs = 0;
  if (cfg.dedupInterval !== undefined) {
    dedupIntervalMs = durationMs('dedupInterval', cfg.dedupInterval);
    if (dedupIntervalMs > intervalMs) {
      throw new Error(`dedupInterval=${String(cfg.dedupInterval)} must not exceed interval=${String(cfg.interval)}: lower it or raise interval`);
    }
    if (dedupIntervalMs > 0 && intervalMs % dedupIntervalMs !== 0) {
      throw new Error(`interval=${String(cfg.interval)} must be a multiple of dedupInterval=${String(cfg.dedupInterval)}`);
    }
  }

  let stalenessMs = 2 * intervalMs;
  if (cfg.stalenessInterval !== undefined) {
    stalenessMs = durationMs('stalenessInterval', cfg.stalenessInterval);
    if (stalenessMs < intervalMs) {
      throw new Error(`stalenessInterval=${String(cfg.stalenessInterval)} must be at least interval=${String(cfg.interval)}`);
    }
  }

  let by = sortedUnique(cfg.by);
  const without = sortedUnique(cfg.without);
  if (by.length > 0 && without.length > 0) {
    throw new Error(`by [${by.join(', ')}] and without [${without.join(', ')}] cannot both be set: keep one`);
  }
  const aggregateOnlyByTime = by.length === 0 && without.length === 0;
  // The metric name always stays in the output group, so the suffix has something to extend.
  if (by.length > 0 && !by.includes(METRIC_NAME_LABEL)) by = [...by, METRIC_NAME_LABEL].sort();

  if (!Array.isArray(cfg.outputs)) throw new Error('outputs is required: list at least one output, e.g. outputs: ["total"]');
  const outputs = outputFactories(cfg.outputs);
  const keepMetricNames = cfg.keepMetricNames === true;
  if (keepMetricNames && outputs.length !== 1) {
    throw new Error(`keepMetricNames needs exactly one output, got ${outputs.length}: drop it or keep one output`);
  }

  let suffix = ':' + intervalLabel(cfg.interval);
  const byNames = by.filter((n) => n !== METRIC_NAME_LABEL);
  if (byNames.length > 0) suffix += '_by_' + byNames.join('_');
  if (without.length > 0) suffix += '_without_' + without.join('_');
  suffix += '_';

  return {
    intervalMs,
    dedupIntervalMs,
    stalenessMs,
    by,
    without,
    aggregateOnlyByTime,
    outputs,
    suffix,
    flushOnShutdown: cfg.flushOnShutdown === true,
    keepMetricNames,
  };
}
