/** The per-type summary under a process's report: counts, ref'd/unref'd, oldest age. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { TypeSummary } from './schema.js';
import { formatDuration } from '../util/duration.js';

export function renderSummaryTable(rows: TypeSummary[], c: ChalkInstance): string {
  const table = new Table({
    head: ['type', 'live', 'ref', 'unref', 'oldest', 'created', 'with stack'].map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const row of rows) {
    table.push([row.type, row.live, row.ref ? c.yellow(String(row.ref)) : '0', row.unref, formatDuration(row.oldestMs), row.created, row.stacked]);
  }
  return table.toString();
}
