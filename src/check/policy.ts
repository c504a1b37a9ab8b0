/**
 * What counts as a leak: thresholds per kind, whether unref'd resources count, which kinds
 * fail, ignore rules, the settle window, a baseline. One shape for the CLI flags, the config
 * file and the library API, resolved once into a CheckPolicy.
 */
import { parseBytes } from '../util/bytes.js';
import { parseDuration } from '../util/duration.js';
import type { Baseline } from './baseline.js';
import { parseIgnoreRule, RuleError, type IgnoreRule } from './ignore-rules.js';

/** The kinds check judges: the profiles by name, and heap growth. */
export const KINDS = ['handles', 'async', 'listeners', 'fds', 'heap'] as const;
export type Kind = (typeof KINDS)[number];

export const DEFAULT_SETTLE_MS = 300;

/** Options as users write them (strings or numbers), in flags, leakprof.config.json or code. */
export interface PolicyOptions {
  /** Live handles allowed (default 0). */
  maxHandles?: number;
  /** Pending promises / parked awaits allowed (profile 'async', default 0). */
  maxPromises?: number;
  /** Listeners allowed (profile 'listeners', default 0). */
  maxListeners?: number;
  /** Heap growth allowed over the run, first sample to last (`20MB`, or bytes); off by default. */
  maxHeapGrowth?: number | string;
  /** Count unref'd resources too (an unref'd socket still holds a file descriptor). */
  strict?: boolean;
  /** Kinds that fail the check (default all): `handles,async` or an array. */
  failOn?: string | string[];
  /** Ignore rules: `TTYWRAP`, `Timeout@node_modules/pino/**`, `fn:name`, `anyfn:name`. */
  ignore?: string | string[];
  /** How long in-flight work may take to wind down before it is called a leak (`300ms`, or ms). */
  settle?: number | string;
}

export interface CheckPolicy {
  limits: Record<string, number>;
  maxHeapGrowth: number | null;
  strict: boolean;
  failOn: ReadonlySet<string>;
  ignore: IgnoreRule[];
  settleMs: number;
  baseline: Baseline | null;
}

export class PolicyError extends Error {}

export function resolvePolicy(options: PolicyOptions = {}, baseline: Baseline | null = null): CheckPolicy {
  const failOn = new Set<string>(listOf(options.failOn, 'failOn') ?? KINDS);
  for (const kind of failOn) {
    if (!(KINDS as readonly string[]).includes(kind)) throw new PolicyError(`--fail-on: unknown kind "${kind}" (use ${KINDS.join(', ')})`);
  }
  let ignore: IgnoreRule[];
  try {
    ignore = (listOf(options.ignore, 'ignore') ?? []).map((rule) => parseIgnoreRule(rule));
  } catch (error) {
    if (error instanceof RuleError) throw new PolicyError(error.message);
    throw error;
  }
  return {
    limits: {
      handles: count(options.maxHandles, '--max-handles'),
      async: count(options.maxPromises, '--max-promises'),
      listeners: count(options.maxListeners, '--max-listeners'),
    },
    maxHeapGrowth: options.maxHeapGrowth === undefined ? null : convert(() => parseBytes(options.maxHeapGrowth!), '--max-heap-growth'),
    strict: options.strict === true,
    failOn,
    ignore,
    settleMs: options.settle === undefined ? DEFAULT_SETTLE_MS : convert(() => parseDuration(options.settle!), '--settle'),
    baseline,
  };
}

/** The limit for a profile; profiles check has no flag for (a user's own) allow none. */
export function limitFor(policy: CheckPolicy, kind: string): number {
  return policy.limits[kind] ?? 0;
}

function count(value: number | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new PolicyError(`${flag} takes a whole number, got "${value}"`);
  return n;
}

function convert<T>(fn: () => T, flag: string): T {
  try {
    return fn();
  } catch (error) {
    throw new PolicyError(`${flag}: ${(error as Error).message}`);
  }
}

function listOf(value: string | string[] | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.flatMap((v) => (name === 'failOn' ? v.split(',') : [v])).map((s) => s.trim()).filter(Boolean);
  throw new PolicyError(`${name} must be a string or a list of strings`);
}
