/**
 * The leak set's headline: its largest group held through the program's objects, the last steps
 * of its path (the object and field that hold it), the program's variable at the end of the
 * path with the line that declares it, and the line that allocated the group — what a one-line
 * verdict can name.
 */
import type { GroupReport, HeapLeakGroup, HeapPathStep } from '../../report/schema.js';
import { declarationLine } from '../source-lines.js';
import { allocationSite, type AllocationSite } from './allocation-site.js';

export interface TopHeapLeak {
  group: HeapLeakGroup;
  /** From the innermost object that is not a plain container (Map, Array, Object…) to the group itself. */
  heldFrom: HeapPathStep[];
  /** The variable of the program's that holds it (`throttles`), the scope it is in, and where it is declared. */
  holder?: { variable: string; file: string; line?: number };
  /** The group is a chain whose links go through objects of other kinds (`(closure) (anonymous)`, `(closure scope)`): those kinds. */
  chainThrough?: string[];
  /** Where the group's objects were made: the line when one is certain, else the allocating function's header. */
  allocated?: AllocationSite;
}

const CONTAINERS = new Set(['Map', 'Set', 'Array', 'Object', '(object properties)', '(object elements)']);
const SCOPE = /^\((?:module scope|closure scope|scope captured by [^)]*)\) (.*)$/;

/** `heapProfile`: the process's sampling heap profile groups (live bytes by allocating stack), when it has one. */
export function topHeapLeak(groups: readonly HeapLeakGroup[], cwd = process.cwd(), heapProfile: readonly GroupReport[] = []): TopHeapLeak | undefined {
  // A leak is many objects or much memory; one write request in flight at the end is not, nor one object made
  // once, late (a module or WebAssembly instance a starved process got to only after the first checkpoint).
  const big = groups.filter((x) => x.count >= 100 || (x.count > 1 && (x.retainedBytes ?? x.selfBytes) >= 64 * 1024));
  // Held straight from a GC root (V8's string table, a handle scope the snapshot caught mid-push): no object of the
  // program's holds it, so it says nothing of who leaks; the largest group held through the program's objects does.
  // (A group's path is already one of its members held where most are: leak-set.ts.)
  const group = big.find((x) => x.retainerPath.length > 2) ?? big[0];
  if (!group) return undefined;
  const steps = group.retainerPath;
  let from = steps.length - 1;
  while (from > 0 && (CONTAINERS.has(steps[from]!.node) || steps[from] === steps[steps.length - 1])) from--;
  // A chain that repeats through other kinds (promises through their callbacks' closures) is told from its longest
  // repeated block, and named by what it goes through.
  let chain = -1;
  steps.forEach((s, k) => {
    if (s.repeat === undefined || (s.span ?? 1) < 2 || !steps.slice(k, k + s.span!).some((x) => x.node === group.name)) return;
    if (chain < 0 || s.repeat > steps[chain]!.repeat!) chain = k;
  });
  if (chain >= 0 && chain < from) from = chain;
  const out: TopHeapLeak = { group, heldFrom: steps.slice(Math.max(0, from)) };
  if (chain >= 0 && !group.chain) {
    const through = [...new Set(steps.slice(chain, chain + steps[chain]!.span!).map((x) => x.node).filter((n) => n !== group.name))];
    if (through.length > 0) out.chainThrough = through;
  }
  const holder = holderOf(steps, cwd);
  if (holder) out.holder = holder;
  const allocated = allocationSite(group, holder, heapProfile, cwd);
  if (allocated) out.allocated = allocated;
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
