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
  const lines = [`${c.bold(g.count.toLocaleString('en-US'))} @ ${c.cyan(g.name)} ${g.nodeType}${shapeOf(g)} ${size} ${c.dim(growth)}`];
  if (g.retainerPath.length > 0) lines.push(`#\theld by: ${renderPath(g.retainerPath)}`);
  else lines.push(c.dim('#\theld by: (no strong path from a GC root found)'));
  if (g.location) lines.push(`#\t${g.nodeType === 'closure' ? 'code' : 'constructor'} at ${g.location.file}:${g.location.line}:${g.location.column}`);
  if (g.examples.length > 0) lines.push(c.dim(`#\te.g. ${g.examples.map((id) => `@${id}`).join(' ')}`));
  return lines.join('\n');
}

/** ` in a chain through .next`, ` in one Map`: how the group's objects are held together. */
export function shapeOf(g: HeapLeakGroup): string {
  const parts: string[] = [];
  if (g.chain) parts.push(`in a chain through ${/^[A-Za-z_$][\w$]*$/.test(g.chain.edge) ? `.${g.chain.edge}` : `[${JSON.stringify(g.chain.edge)}]`}`);
  if (g.collection) parts.push(`in one ${g.collection.name}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/**
 * `(GC roots) → (module scope) app.mjs → registry: Registry → .channels: Map → ChannelEntry`;
 * a chain's repeated steps once with their count (`→ .next: Node ×59,999 →`).
 */
export function renderPath(steps: HeapPathStep[]): string {
  const out: string[] = [];
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    const span = s.repeat === undefined ? 1 : (s.span ?? 1);
    const told = steps.slice(k, k + span).map((step, j) => renderStep(step, k + j === 0));
    if (s.repeat === undefined) out.push(told[0]!);
    else out.push(span === 1 ? `${told[0]} ×${s.repeat.toLocaleString('en-US')}` : `(${told.join(' → ')}) ×${s.repeat.toLocaleString('en-US')}`);
    k += span - 1;
  }
  return out.join(' → ');
}

function renderStep(s: HeapPathStep, first: boolean): string {
  if (s.edgeType === 'omitted') return `… ${(s.omitted ?? 0).toLocaleString('en-US')} more steps …`;
  if (first || !s.edge) return s.node;
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
}
