/**
 * Baselines, goleak's IgnoreCurrent across runs: a file listing what was alive, and later
 * checks count only what is new. Groups match by profile, type, label and the file:line they
 * come from — never by pid or async id, which change every run — and counts above the
 * baseline's count are new.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { GroupReport, ProcessReport } from '../report/schema.js';
import { locationText } from './group-location.js';

export const BASELINE_SCHEMA = 'leakprof.baseline/v1';

export interface BaselineGroup {
  profile: string;
  type: string;
  label: string;
  /** file:line, or null when the group had no stack. */
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

export function baselineKey(profile: string, group: Pick<GroupReport, 'type' | 'label'>, location: string | null): string {
  return `${profile}\u0000${group.type}\u0000${group.label}\u0000${location ?? ''}`;
}

/** What is alive in these processes (everything the workload made: Node's own resources aside). */
export function baselineFrom(processes: readonly ProcessReport[], command?: string[]): Baseline {
  const byKey = new Map<string, BaselineGroup>();
  for (const proc of processes) {
    for (const profile of proc.profiles) {
      for (const group of profile.groups) {
        if (group.internal) continue;
        const location = locationText(group);
        const key = baselineKey(profile.name, group, location);
        const entry = byKey.get(key);
        if (entry) entry.count += group.count;
        else byKey.set(key, { profile: profile.name, type: group.type, label: group.label, location, count: group.count });
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
      const key = baselineKey(g.profile, g, g.location);
      this.left.set(key, (this.left.get(key) ?? 0) + g.count);
    }
  }

  /** How many of `count` the baseline already knew; those are used up. */
  take(profile: string, group: GroupReport, count: number): number {
    const key = baselineKey(profile, group, locationText(group));
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
  if (b?.schema !== BASELINE_SCHEMA || !Array.isArray(b.groups)) {
    throw new BaselineError(`${file} is not a leakprof baseline (expected "schema": "${BASELINE_SCHEMA}"); rerun with --update-baseline to rewrite it`);
  }
  b.groups.forEach((g: unknown, i) => {
    const x = g as Partial<BaselineGroup> | null;
    const ok = x !== null && typeof x === 'object' && typeof x.profile === 'string' && typeof x.type === 'string' && typeof x.label === 'string' && (x.location === null || typeof x.location === 'string') && Number.isInteger(x.count) && x.count! >= 0;
    if (!ok) throw new BaselineError(`${file}: groups[${i}] is not a baseline group (profile, type, label, location, count); rerun with --update-baseline to rewrite it`);
  });
  return b as Baseline;
}

export function writeBaseline(file: string, baseline: Baseline): void {
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
}
