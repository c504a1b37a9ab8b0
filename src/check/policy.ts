/**
 * What counts as a leak: thresholds per kind, whether unref'd resources count, which kinds
 * fail, ignore rules, the settle window, a baseline. One shape for the CLI flags, the config
 * file and the library API, resolved once into a CheckPolicy.
 */
import { parseBytes } from '../util/bytes.js';
import { parseDuration } from '../util/duration.js';
import type { Baseline } from './baseline.js';
import { parseIgnoreRule, RuleError, type IgnoreRule } from './ignore-rules.js';
import { HEAP_GROWTH, PROFILE_NAME } from '../transport/messages.js';
import type { ProfileDescriptor } from '../report/schema.js';

/**
 * What check judges: each profile a process declared with a check rule (by its name: handles,
 * async, listeners, fds, a user's own), and heap growth over the memory series.
 */
export const BUILT_IN_KINDS = ['handles', 'async', 'listeners', 'fds', HEAP_GROWTH] as const;

export const DEFAULT_SETTLE_MS = 300;

/** Options as users write them (strings or numbers), in flags, leakprof.config.json or code. */
export interface PolicyOptions {
  /** Live handles allowed (default 0). */
  maxHandles?: number;
  /** Pending promises / parked awaits allowed (profile 'async', default 0). */
  maxPromises?: number;
  /** Listeners allowed (profile 'listeners', default 0). */
  maxListeners?: number;
  /** Items allowed per profile by name, for any profile (a user's own too): `{ 'db-connections': 5 }`, or `db-connections=5` strings. */
  max?: Record<string, number | string> | string | string[];
  /** Heap growth allowed over the run, first sample to last (`20MB`, or bytes); off by default. */
  maxHeapGrowth?: number | string;
  /** Count unref'd resources too (an unref'd socket still holds a file descriptor). */
  strict?: boolean;
  /** Kinds that fail the check (default all): profile names and `heap-growth` (`heap` is read as heap-growth), `handles,async` or an array. */
  failOn?: string | string[];
  /** Ignore rules: `TTYWRAP`, `Timeout@node_modules/pino/**`, `fn:name`, `anyfn:name`. */
  ignore?: string | string[];
  /** How long in-flight work may take to wind down before it is called a leak (`300ms`, or ms). */
  settle?: number | string;
}

export interface CheckPolicy {
  /** Limits the user set, by flag (`max-handles`, `max-db-connections`); a profile without one allows its declared default. */
  limits: Record<string, number>;
  maxHeapGrowth: number | null;
  strict: boolean;
  /** Kinds that fail the check; null: every kind. */
  failOn: ReadonlySet<string> | null;
  ignore: IgnoreRule[];
  settleMs: number;
  baseline: Baseline | null;
}

export class PolicyError extends Error {}

export function resolvePolicy(options: PolicyOptions = {}, baseline: Baseline | null = null): CheckPolicy {
  const kinds = listOf(options.failOn, 'failOn');
  let failOn: Set<string> | null = null;
  if (kinds !== undefined) {
    // Before heap growth had a name of its own, `heap` meant it.
    failOn = new Set(kinds.map((kind) => (kind === 'heap' ? HEAP_GROWTH : kind)));
    for (const kind of failOn) {
      if (!PROFILE_NAME.test(kind)) throw new PolicyError(`--fail-on: "${kind}" is not a kind (use ${BUILT_IN_KINDS.join(', ')} or a profile's name)`);
    }
  }
  let ignore: IgnoreRule[];
  try {
    ignore = (listOf(options.ignore, 'ignore') ?? []).map((rule) => parseIgnoreRule(rule));
  } catch (error) {
    if (error instanceof RuleError) throw new PolicyError(error.message);
    throw error;
  }
  return {
    limits: limitsOf(options),
    maxHeapGrowth: options.maxHeapGrowth === undefined ? null : convert(() => parseBytes(options.maxHeapGrowth!), '--max-heap-growth'),
    strict: options.strict === true,
    failOn,
    ignore,
    settleMs: options.settle === undefined ? DEFAULT_SETTLE_MS : convert(() => parseDuration(options.settle!), '--settle'),
    baseline,
  };
}

/** A profile's limit: its flag's (`--max-promises`), else `--max <name>=<n>`, else what the profile declared. */
export function limitFor(policy: CheckPolicy, profile: ProfileDescriptor): number {
  return policy.limits[profile.check?.flag ?? ''] ?? policy.limits[`max-${profile.name}`] ?? profile.check?.limit ?? 0;
}

/** Whether violations of this kind fail the check. */
export function failsOn(policy: CheckPolicy, kind: string): boolean {
  return policy.failOn === null || policy.failOn.has(kind);
}

function limitsOf(options: PolicyOptions): Record<string, number> {
  const limits: Record<string, number> = {};
  const set = (flag: string, value: number | string | undefined, as: string): void => {
    if (value !== undefined) limits[flag] = count(value, as);
  };
  set('max-handles', options.maxHandles, '--max-handles');
  set('max-promises', options.maxPromises, '--max-promises');
  set('max-listeners', options.maxListeners, '--max-listeners');
  for (const [name, value] of Object.entries(maxEntries(options.max))) {
    const flag = name.startsWith('max-') ? name : `max-${name}`;
    if (!PROFILE_NAME.test(name)) throw new PolicyError(`--max: "${name}" is not a profile name (lower case letters, digits and dashes, such as db-connections)`);
    set(flag, value, `--max ${name}`);
  }
  return limits;
}

/** `--max` as given: an object, or `name=n` strings (one, comma-separated, or a list). */
function maxEntries(value: PolicyOptions['max']): Record<string, number | string> {
  if (value === undefined) return {};
  if (typeof value === 'object' && !Array.isArray(value) && value !== null) return value;
  const out: Record<string, string> = {};
  for (const pair of listOf(value, 'max') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PolicyError(`--max takes <profile>=<n> (--max db-connections=5), got "${pair}"`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function count(value: number | string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' && value.trim() === '' ? NaN : Number(value);
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
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.flatMap((v) => (name === 'failOn' || name === 'max' ? v.split(',') : [v])).map((s) => s.trim()).filter(Boolean);
  throw new PolicyError(`${name} must be a string or a list of strings`);
}
