/**
 * The leak set's headline: its largest group held through the program's objects, the last steps
 * of its path (the object and field that hold it), and the program's variable at the end of the
 * path with the line that declares it — what a one-line verdict can name.
 */
import type { HeapLeakGroup, HeapPathStep } from '../../report/schema.js';
import { declarationLine } from '../source-lines.js';

export interface TopHeapLeak {
  group: HeapLeakGroup;
  /** From the innermost object that is not a plain container (Map, Array, Object…) to the group itself. */
  heldFrom: HeapPathStep[];
  /** The variable of the program's that holds it (`throttles`), the scope it is in, and where it is declared. */
  holder?: { variable: string; file: string; line?: number };
}

const CONTAINERS = new Set(['Map', 'Set', 'Array', 'Object', '(object properties)', '(object elements)']);
const SCOPE = /^\((?:module scope|closure scope|scope captured by [^)]*)\) (.*)$/;

export function topHeapLeak(groups: readonly HeapLeakGroup[], cwd = process.cwd()): TopHeapLeak | undefined {
  // A leak is many objects or much memory; one write request in flight at the end is not, nor one object made
  // once, late (a module or WebAssembly instance a starved process got to only after the first checkpoint).
  const big = groups.filter((x) => x.count >= 100 || (x.count > 1 && (x.retainedBytes ?? x.selfBytes) >= 64 * 1024));
  // Held straight from a GC root (V8's string table, a handle scope the snapshot caught mid-push): no object of the
  // program's holds it, so it says nothing of who leaks; the largest group held through the program's objects does.
  const group = big.find((x) => x.retainerPath.length > 2) ?? big[0];
  if (!group) return undefined;
  const steps = group.retainerPath;
  let from = steps.length - 1;
  while (from > 0 && (CONTAINERS.has(steps[from]!.node) || steps[from] === steps[steps.length - 1])) from--;
  const out: TopHeapLeak = { group, heldFrom: steps.slice(Math.max(0, from)) };
  const holder = holderOf(steps, cwd);
  if (holder) out.holder = holder;
  return out;
}

/** The innermost scope of the program's on the path, and the variable of it the path goes through. */
export function holderOf(steps: readonly HeapPathStep[], cwd: string): TopHeapLeak['holder'] {
  for (let k = steps.length - 2; k >= 0; k--) {
    const scope = SCOPE.exec(steps[k]!.node);
    if (!scope) continue;
    const file = scope[1]!;
    const variable = steps[k + 1]!.edge;
    if (file.startsWith('node:') || !/^[A-Za-z_$][\w$]*$/.test(variable)) return undefined;
    const line = declarationLine(file, variable, cwd);
    return line === undefined ? { variable, file } : { variable, file, line };
  }
  return undefined;
}
