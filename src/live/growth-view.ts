/**
 * What `leakprof top` shows: from reports of one process taken over time, the groups whose
 * counts grow fastest (their rate since first seen and over the last interval), and memory.
 * Pure: the command does the fetching and the drawing.
 */
import { locationText } from '../check/group-location.js';
import { groupKey, identityOf } from '../transport/group-identity.js';
import type { Report } from '../report/schema.js';
import { formatBytes } from '../util/bytes.js';

export interface GrowthRow {
  key: string;
  profile: string;
  label: string;
  state: string;
  where: string;
  count: number;
  /** Per second since the first look. */
  rate: number;
  /** Change since the previous look. */
  delta: number;
}

interface Seen {
  firstAt: number;
  firstCount: number;
  lastCount: number;
}

export class GrowthView {
  private readonly seen = new Map<string, Seen>();
  private looks = 0;
  private firstAt = 0;
  rows: GrowthRow[] = [];
  memory = '';
  pid = 0;

  /** Takes one report (time in ms). Groups gone since are counted as 0. */
  add(report: Report, at: number): void {
    const proc = report.processes[0];
    if (!proc) return;
    if (this.looks++ === 0) this.firstAt = at;
    this.pid = proc.pid;
    const counts = new Map<string, Omit<GrowthRow, 'rate' | 'delta'>>();
    for (const profile of proc.profiles) {
      if (profile.name === 'heap') continue;
      for (const g of profile.groups) {
        if (g.internal || g.benign) continue;
        // A group is a group of the report (../transport/group-identity.ts): one helper's two callers are two rows, each saying its caller.
        const identity = identityOf(profile.name, g);
        const caller = g.top !== null && identity.stack.length > 1 ? ` < ${identity.stack[1]!.replace(/:\d+$/, '')}` : '';
        const where = `${locationText(g) ?? '(no stack)'}${caller}`;
        const key = groupKey(identity);
        const row = counts.get(key);
        if (row) row.count += g.count;
        else counts.set(key, { key, profile: profile.name, label: g.label, state: g.state, where, count: g.count });
      }
    }
    const rows: GrowthRow[] = [];
    for (const [key, row] of counts) {
      let s = this.seen.get(key);
      // A group first seen after the first look grew from nothing then.
      if (!s) this.seen.set(key, (s = { firstAt: this.firstAt, firstCount: this.looks === 1 ? row.count : 0, lastCount: this.looks === 1 ? row.count : 0 }));
      const overS = (at - s.firstAt) / 1000;
      rows.push({ ...row, rate: overS > 0 ? (row.count - s.firstCount) / overS : 0, delta: row.count - s.lastCount });
      s.lastCount = row.count;
    }
    for (const [key, s] of this.seen) if (!counts.has(key)) s.lastCount = 0;
    rows.sort((a, b) => b.rate - a.rate || b.count - a.count || a.key.localeCompare(b.key));
    this.rows = rows;
    const m = proc.memory;
    this.memory = `heap ${formatBytes(m.heapUsed)} / ${formatBytes(m.heapTotal)}, rss ${formatBytes(m.rss)}, external ${formatBytes(m.external)}`;
  }

  /** The table as lines, at most `limit` rows. */
  lines(limit: number): string[] {
    const out = [`${'COUNT'.padStart(7)} ${'Δ'.padStart(6)} ${'RATE/s'.padStart(8)}  ${'PROFILE'.padEnd(9)} GROUP  (where)`];
    for (const r of this.rows.slice(0, limit)) {
      const delta = r.delta > 0 ? `+${r.delta}` : String(r.delta);
      out.push(`${String(r.count).padStart(7)} ${delta.padStart(6)} ${r.rate.toFixed(2).padStart(8)}  ${r.profile.padEnd(9)} ${r.label} ${r.state}  (${r.where})`);
    }
    if (this.rows.length === 0) out.push('   (nothing alive of the workload\'s own)');
    return out;
  }
}
