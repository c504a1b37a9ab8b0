/**
 * The heap leak set in leakprof's pprof style: one group a paragraph, count @ name, then `#`
 * lines for who holds the group (the shortest path from a GC root) and where its code is.
 */
import type { ChalkInstance } from 'chalk';
import type { HeapLeakGroup, HeapLeakReport, HeapPathStep } from './schema.js';
import { formatBytes } from '../util/bytes.js';
import { plain } from './colors.js';

export function renderHeapLeaks(report: HeapLeakReport, paint: ChalkInstance = plain): string {
  const c = paint;
  const [first, , last] = report.snapshots;
  const when = first && last ? `, new after ${first.label} and still alive at ${last.label}` : '';
  const lines: string[] = [];
  if (report.total === 0) {
    lines.push(c.bold(`heap leak set: empty: no object allocated after ${first?.label ?? 'the first snapshot'} is still alive at ${last?.label ?? 'the last'}`));
  } else {
    lines.push(c.bold(`heap leak set: ${report.total} objects, ${formatBytes(report.totalBytes)}${when}`));
    if (report.groups.length === 0) lines.push(c.green('no kind of object grew from the first snapshot to the last'));
  }
  for (const group of report.groups) lines.push(renderGroup(group, report.snapshots.length, c), '');
  for (const note of report.notes) lines.push(c.dim(`note: ${note}`));
  return lines.join('\n') + '\n';
}

function renderGroup(g: HeapLeakGroup, snapshots: number, c: ChalkInstance): string {
  const size = `${formatBytes(g.selfBytes)} own${g.retainedBytes !== undefined ? `, ${formatBytes(g.retainedBytes)} retained` : ''}`;
  const growth = `(${g.countsBySnapshot.join(' → ')} across the ${snapshots} snapshots)`;
  const lines = [`${c.bold(String(g.count))} @ ${c.cyan(g.name)} ${g.nodeType} ${size} ${c.dim(growth)}`];
  if (g.retainerPath.length > 0) lines.push(`#\theld by: ${renderPath(g.retainerPath)}`);
  else lines.push(c.dim('#\theld by: (no strong path from a GC root found)'));
  if (g.location) lines.push(`#\t${g.nodeType === 'closure' ? 'code' : 'constructor'} at ${g.location.file}:${g.location.line}:${g.location.column}`);
  if (g.examples.length > 0) lines.push(c.dim(`#\te.g. ${g.examples.map((id) => `@${id}`).join(' ')}`));
  return lines.join('\n');
}

/** `(GC roots) → (module scope) app.mjs → registry: Registry → .channels: Map → ChannelEntry`. */
export function renderPath(steps: HeapPathStep[]): string {
  return steps
    .map((s, k) => {
      if (k === 0 || !s.edge) return s.node;
      switch (s.edgeType) {
        case 'context':
          return `${s.edge}: ${s.node}`;
        case 'property':
          return /^[A-Za-z_$][\w$]*$/.test(s.edge) ? `.${s.edge}: ${s.node}` : `[${JSON.stringify(s.edge)}]: ${s.node}`;
        case 'element':
          return `${s.edge}: ${s.node}`;
        default:
          return s.node;
      }
    })
    .join(' → ');
}
