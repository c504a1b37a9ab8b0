/**
 * Baselines, goleak's IgnoreCurrent across runs: a file listing what was alive, and later
 * checks count only what is new. Each entry is a group's identity (../transport/group-identity.ts:
 * profile, type, label, state, the user's frames that made it, its created-by, its test), so a
 * baseline has exactly the report's groups — never a pid or async id, which change every run —
 * and counts above the baseline's count are new. The same group in several processes is one
 * entry, its counts summed (processes are not matched across runs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { GroupReport, ProcessReport } from '../report/schema.js';
import { groupKey, identityOf, type GroupIdentity } from '../transport/group-identity.js';
import { locationText } from './group-location.js';

export const BASELINE_SCHEMA = 'leakprof.baseline/v2';
/** v1 matched by type, label and one file:line: coarser than a report's groups. */
const OLD_SCHEMAS = new Set(['leakprof.baseline/v1']);

export interface BaselineGroup extends GroupIdentity {
  /** Where a person looks, file:line, or null when the group had no stack: for reading, not matching. */
  location: string | null;
  count: number;
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  createdAt: string;
  command?: string[];
  groups: BaselineGroup[];
}

export class BaselineError extends Error {}

/** What is alive in these processes (everything the workload made: Node's own resources aside). */
export function baselineFrom(processes: readonly ProcessReport[], command?: string[]): Baseline {
  const byKey = new Map<string, BaselineGroup>();
  for (const proc of processes) {
    for (const profile of proc.profiles) {
      for (const group of profile.groups) {
        if (group.internal) continue;
        const identity = identityOf(profile.name, group);
        const key = groupKey(identity);
        const entry = byKey.get(key);
        if (entry) entry.count += group.count;
        else byKey.set(key, { ...identity, location: locationText(group), count: group.count });
      }
    }
  }
  const baseline: Baseline = { schema: BASELINE_SCHEMA, createdAt: new Date().toISOString(), groups: [...byKey.values()] };
  if (command) baseline.command = command;
  return baseline;
}

/** Counts left in a baseline while a report is judged: each live group uses up what it matches. */
export class BaselineBudget {
  private readonly left = new Map<string, number>();

  constructor(baseline: Baseline) {
    for (const g of baseline.groups) {
      const key = groupKey(g);
      this.left.set(key, (this.left.get(key) ?? 0) + g.count);
    }
  }

  /** How many of `count` the baseline already knew; those are used up. */
  take(profile: string, group: GroupReport, count: number): number {
    const key = groupKey(identityOf(profile, group));
    const left = this.left.get(key) ?? 0;
    const known = Math.min(left, count);
    if (known > 0) this.left.set(key, left - known);
    return known;
  }
}

export function readBaseline(file: string): Baseline {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BaselineError(`cannot read baseline ${file}: ${(error as Error).message.replace(/\s+/g, ' ')} (delete it, or rerun with --update-baseline)`);
  }
  const b = parsed as Partial<Baseline>;
  if (typeof b?.schema === 'string' && OLD_SCHEMAS.has(b.schema)) {
    throw new BaselineError(`${file} is a baseline of an older leakprof (${b.schema}, coarser than a report's groups); rerun with --update-baseline to rewrite it`);
  }
  if (b?.schema !== BASELINE_SCHEMA || !Array.isArray(b.groups)) {
    throw new BaselineError(`${file} is not a leakprof baseline (expected "schema": "${BASELINE_SCHEMA}"); rerun with --update-baseline to rewrite it`);
  }
  b.groups.forEach((g: unknown, i) => {
    const x = g as Partial<BaselineGroup> | null;
    const text = (v: unknown): boolean => typeof v === 'string';
    const ok =
      x !== null &&
      typeof x === 'object' &&
      [x.profile, x.type, x.label, x.state].every(text) &&
      Array.isArray(x.stack) &&
      x.stack.every(text) &&
      (x.createdBy === null || text(x.createdBy)) &&
      (x.test === undefined || text(x.test)) &&
      (x.location === null || text(x.location)) &&
      Number.isInteger(x.count) &&
      x.count! >= 0;
    if (!ok) throw new BaselineError(`${file}: groups[${i}] is not a baseline group (profile, type, label, state, stack, createdBy, location, count); rerun with --update-baseline to rewrite it`);
  });
  return b as Baseline;
}

export function writeBaseline(file: string, baseline: Baseline): void {
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
}
