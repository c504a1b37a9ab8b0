/**
 * Who holds an object: a breadth-first search from the snapshot's root over strong edges gives
 * every reachable node a shortest path back to a GC root; a path is then told in a person's
 * words, V8's plumbing (hidden arrays, cells, maps' backing stores) left out.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOwnFile } from '../../collect/frame-owner.js';
import type { HeapPathStep } from '../../report/schema.js';
import type { HeapSnapshot } from './snapshot-reader.js';

const NONE = 0xffffffff;

/**
 * Roots that hold things only for the moment the snapshot was taken (the handles and stack of
 * the code that called writeHeapSnapshot): a path through them says nothing about a leak, so
 * they are searched last.
 */
const TRANSIENT_ROOTS = new Set(['(Handle scope)', '(Stack roots)']);

export interface ShortestPaths {
  /** Parent node on the shortest strong path from the root, NONE when unreachable. */
  parent: Uint32Array;
  /** The edge from the parent. */
  parentEdge: Uint32Array;
  /** Order in which the search reached the node: lower is closer to a root. */
  rank: Uint32Array;
  /** 1 for what only leakprof's own collector holds (its tables, in the process it watched): never the program's leak. */
  own: Uint8Array;
}


/**
 * Objects and closures whose code (a closure's own, an object's constructor's) is leakprof's: the roots of what is its own.
 * leakprof's own code is what ../../collect/frame-owner.ts says it is: everything it ships but the built-in workload.
 */
export function leakprofObjects(snap: HeapSnapshot, namer: NodeNamer): Uint8Array {
  const own = new Uint8Array(snap.nodeCount);
  for (const node of snap.locations.keys()) {
    const file = namer.location(node)?.file;
    if (file !== undefined && isOwnFile(isAbsolute(file) ? file : resolve(namer.cwd, file))) own[node] = 1;
  }
  return own;
}

export function shortestPaths(snap: HeapSnapshot, root = 0, own?: Uint8Array): ShortestPaths {
  const n = snap.nodeCount;
  const { firstEdge, edgeTo, edgeType } = snap;
  const weak = snap.edgeTypes.indexOf('weak');
  const shortcut = snap.edgeTypes.indexOf('shortcut');
  const parent = new Uint32Array(n).fill(NONE);
  const parentEdge = new Uint32Array(n).fill(NONE);
  const rank = new Uint32Array(n).fill(NONE);
  const queue = new Uint32Array(n);
  let head = 0;
  let tail = 0;
  const transient: number[] = [];
  // What leakprof's own code made (its collector's tables, closures and hooks, marked by the caller) is searched
  // last, so that only what nothing of the program's holds is marked as leakprof's own.
  const ownRoot = own ?? new Uint8Array(n);
  const ownEdges: number[] = [];
  parent[root] = root;
  rank[root] = tail;
  queue[tail++] = root;
  const synthetic = snap.nodeTypes.indexOf('synthetic');
  const visit = (from: number, skipTransient: boolean) => {
    // V8's own identity maps (compiler, serializer) hang off (Strong roots) for a moment too.
    const fromRoot = skipTransient && snap.nodeType[from] === synthetic;
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) {
      const t = edgeType[e];
      // Weak edges do not keep anything alive; shortcuts repeat a path that exists anyway.
      if (t === weak || t === shortcut) continue;
      const to = edgeTo[e]!;
      if (parent[to] !== NONE) continue;
      if (ownRoot[to]) {
        ownEdges.push(e, from);
        continue;
      }
      if (fromRoot && ((snap.nodeType[to] === synthetic && TRANSIENT_ROOTS.has(snap.nameOf(to))) || snap.edgeNameOf(e).endsWith('/ IdentityMapBase'))) {
        transient.push(e, from);
        continue;
      }
      parent[to] = from;
      parentEdge[to] = e;
      rank[to] = tail;
      queue[tail++] = to;
    }
  };
  const drain = (skipTransient: boolean) => {
    while (head < tail) {
      const from = queue[head++]!;
      visit(from, skipTransient);
    }
  };
  /** Enters the targets of edges put aside earlier (pairs of edge, from), as if found now, then searches on from them. */
  const resume = (deferred: number[]) => {
    for (let k = 0; k < deferred.length; k += 2) {
      const e = deferred[k]!;
      const to = edgeTo[e]!;
      if (parent[to] !== NONE) continue;
      parent[to] = deferred[k + 1]!;
      parentEdge[to] = e;
      rank[to] = tail;
      queue[tail++] = to;
    }
    drain(false);
  };
  drain(true);
  resume(transient);
  const ownStart = tail;
  resume(ownEdges);
  // Everything first reached from the collector is the collector's (breadth-first order: parents come first).
  const owned = new Uint8Array(n);
  for (let k = ownStart; k < tail; k++) owned[queue[k]!] = 1;
  return { parent, parentEdge, rank, own: owned };
}

/** Raw node path root first, without the snapshot's synthetic root itself. */
function rawPath(paths: ShortestPaths, node: number, root = 0): number[] {
  const path: number[] = [];
  let at = node;
  // Parents form a tree (breadth-first order): the walk ends at the root however long the path.
  for (let guard = 0; at !== root && at !== NONE && guard < paths.parent.length; guard++) {
    path.push(at);
    at = paths.parent[at]!;
  }
  return path.reverse();
}

/** Tells nodes the way a person reads them; caches what it has looked up. */
export class NodeNamer {
  private scripts = new Map<number, string | null>();
  private scriptById: Map<number, string> | undefined;

  constructor(
    readonly snap: HeapSnapshot,
    readonly cwd = process.cwd(),
  ) {}

  /** A group's name: the class, `(closure) name`, or the kind for strings and other values. */
  groupName(node: number): string {
    const type = this.snap.typeOf(node);
    const name = this.snap.nameOf(node);
    // A closure context leaked by itself (the Meteor leak: a context shared by closures, one of which captured the previous one): named by the function it belongs to.
    if (name === 'system / Context') return this.scopeName(node);
    return groupNameOf(type, name);
  }

  /** One node on a path: a context as the scope it is, plumbing as null (left out). */
  pathName(node: number): string | null {
    const snap = this.snap;
    const type = snap.typeOf(node);
    const name = snap.nameOf(node);
    if (name === 'system / Context' || name === 'system / SourceTextModule') return this.scopeName(node);
    if (type === 'synthetic') return name || null;
    if (type === 'hidden' || type === 'code' || type === 'array' || type === 'object shape' || type === 'number') return null;
    if (name.startsWith('system / ')) return null;
    return groupNameOf(type, name);
  }

  /** `(module scope) fixtures/x.mjs` for an ES module's scope, `(closure scope) file` for a function's. */
  scopeName(node: number): string {
    const snap = this.snap;
    if (snap.nameOf(node) === 'system / SourceTextModule') {
      const file = this.moduleScript(node);
      return file ? `(module scope) ${file}` : '(module scope)';
    }
    const extension = this.edgeTarget(node, 'extension');
    if (extension !== undefined && snap.nameOf(extension) === 'system / SourceTextModule') {
      const file = this.moduleScript(extension);
      return file ? `(module scope) ${file}` : '(module scope)';
    }
    // A function's scope: the closures that capture it say where it is. The outermost function
    // scope of a script (its `previous` is the native context) is a CommonJS module's scope.
    const previous = this.edgeTarget(node, 'previous');
    const topLevel = previous !== undefined && snap.nameOf(previous) === 'system / NativeContext';
    for (const { from, edge } of snap.retainersOf(node)) {
      if (snap.typeOf(from) !== 'closure' || snap.edgeNameOf(edge) !== 'context') continue;
      const file = this.closureScript(from);
      if (!file) continue;
      if (topLevel) return `(module scope) ${file}`;
      const fn = snap.nameOf(from);
      return fn ? `(scope captured by ${fn}) ${file}` : `(closure scope) ${file}`;
    }
    return topLevel ? '(module scope)' : '(closure scope)';
  }

  /**
   * The variable behind a context's slot that V8 left unnamed (a hidden edge `2`): a scope that is
   * not a function's own, as in a module vitest's runner evaluates, whose `const sessions` shows
   * as slot 2. Its ScopeInfo lists the locals' names first, in slot order; read only when it holds
   * them inline (a big scope keeps them in a hash table, and is left unnamed).
   */
  contextLocal(context: number, slot: string): string | undefined {
    const snap = this.snap;
    if (!/^\d+$/.test(slot) || snap.nameOf(context) !== 'system / Context') return undefined;
    const info = this.edgeTarget(context, 'scope_info');
    if (info === undefined) return undefined;
    const names: string[] = [];
    for (let e = snap.firstEdge[info]!; e < snap.firstEdge[info + 1]!; e++) {
      const to = snap.edgeTo[e]!;
      if (snap.typeOf(to) === 'string') names.push(snap.nameOf(to));
      else if (snap.edgeTypeOf(e) === 'hidden' && !snap.nameOf(to).startsWith('system / Map')) return undefined;
    }
    const name = names[Number(slot)];
    return name !== undefined && /^[A-Za-z_$][\w$]*$/.test(name) ? name : undefined;
  }

  edgeTarget(node: number, name: string): number | undefined {
    const snap = this.snap;
    for (let e = snap.firstEdge[node]!; e < snap.firstEdge[node + 1]!; e++) if (snap.edgeNameOf(e) === name) return snap.edgeTo[e];
    return undefined;
  }

  /** The script a closure's code is in, from its shared function info, shortened for reading. */
  closureScript(closure: number): string | undefined {
    const cached = this.scripts.get(closure);
    if (cached !== undefined) return cached ?? undefined;
    const shared = this.edgeTarget(closure, 'shared');
    const script = shared === undefined ? undefined : this.sharedScript(shared);
    this.scripts.set(closure, script ?? null);
    return script;
  }

  private sharedScript(shared: number): string | undefined {
    const script = this.edgeTarget(shared, 'script_or_debug_info') ?? this.edgeTarget(shared, 'script');
    if (script === undefined) return undefined;
    const name = this.snap.nameOf(script);
    // A debug info sits between the function and its script when a debugger touched it.
    if (name === 'system / DebugInfo') {
      const inner = this.edgeTarget(script, 'script');
      return inner === undefined ? undefined : this.displayFile(this.snap.nameOf(inner));
    }
    return name && !name.startsWith('system / ') ? this.displayFile(name) : undefined;
  }

  /** An ES module's script: through the module's function (a closure or its generator) or its shared function info. */
  moduleScript(module: number): string | undefined {
    const snap = this.snap;
    for (let e = snap.firstEdge[module]!; e < snap.firstEdge[module + 1]!; e++) {
      const to = snap.edgeTo[e]!;
      const type = snap.typeOf(to);
      if (type === 'closure') return this.closureScript(to);
      if (type === 'object' && snap.nameOf(to) === 'Generator') {
        const fn = this.edgeTarget(to, 'function');
        if (fn !== undefined) return this.closureScript(fn);
      }
      if (type === 'code' && (this.edgeTarget(to, 'script_or_debug_info') ?? this.edgeTarget(to, 'script')) !== undefined) return this.sharedScript(to);
    }
    return undefined;
  }

  /** file:///abs/x.mjs or /abs/x.mjs → x.mjs relative to the working directory when under it. */
  displayFile(url: string): string {
    let path = url;
    if (url.startsWith('file://')) {
      try {
        path = fileURLToPath(url);
      } catch {
        return url;
      }
    }
    if (!path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path)) return path;
    const rel = relative(this.cwd, path);
    return rel && !rel.startsWith('..') ? rel.split(sep).join('/') : path;
  }

  /** Where a node's code is (a closure's own, an object's constructor's), from the snapshot's locations. */
  location(node: number): { file: string; line: number; column: number } | undefined {
    const loc = this.snap.locations.get(node);
    if (!loc) return undefined;
    const [scriptId, line, column] = loc;
    let file = this.snap.typeOf(node) === 'closure' ? this.closureScript(node) : undefined;
    file ??= this.scriptFor(scriptId);
    return file ? { file, line: line + 1, column: column + 1 } : undefined;
  }

  /** Script id → file, learnt from the closures that have a location (the snapshot has no script table). */
  private scriptFor(scriptId: number): string | undefined {
    if (!this.scriptById) {
      this.scriptById = new Map();
      for (const [node, [id]] of this.snap.locations) {
        if (this.scriptById.has(id) || this.snap.typeOf(node) !== 'closure') continue;
        const file = this.closureScript(node);
        if (file) this.scriptById.set(id, file);
      }
    }
    return this.scriptById.get(scriptId);
  }
}

export function groupNameOf(type: string, name: string): string {
  switch (type) {
    case 'closure':
      return `(closure) ${name || '(anonymous)'}`;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
    case 'number':
    case 'bigint':
    case 'symbol':
    case 'regexp':
      return `(${type})`;
    default:
      return name || `(${type})`;
  }
}

/** The shortest strong path from a GC root to `node`, told as steps a person reads, root first. */
export function retainerPath(snap: HeapSnapshot, paths: ShortestPaths, namer: NodeNamer, node: number): HeapPathStep[] {
  const steps: HeapPathStep[] = [];
  const nodes = rawPath(paths, node);
  for (let k = 0; k < nodes.length; k++) {
    const at = nodes[k]!;
    const last = k === nodes.length - 1;
    const name = last ? namer.groupName(at) : namer.pathName(at);
    if (name === null) continue;
    // Synthetic roots: keep the outermost one only ((GC roots), not (Strong roots) under it).
    if (snap.typeOf(at) === 'synthetic' && steps.length > 0 && steps[steps.length - 1]!.nodeType === 'synthetic') continue;
    const e = paths.parentEdge[at]!;
    let edgeType = e === NONE || steps.length === 0 ? '' : snap.edgeTypeOf(e);
    let raw = e === NONE || steps.length === 0 ? '' : snap.edgeNameOf(e);
    if (edgeType === 'hidden' && k > 0) {
      const local = namer.contextLocal(nodes[k - 1]!, raw);
      if (local !== undefined) [edgeType, raw] = ['context', local];
    }
    steps.push({ edge: edgeType === 'element' ? `[${raw}]` : raw, edgeType, node: name, nodeType: snap.typeOf(at), id: snap.nodeId[at]! });
  }
  // A module's scope lives as long as the process (the module map holds it): it is as good as a
  // root, and what leads to it (the module record, its namespace, its generator) is plumbing.
  let scope = -1;
  for (let k = steps.length - 2; k > 0; k--) {
    if (steps[k]!.node.startsWith('(module scope)')) {
      scope = k;
      break;
    }
  }
  if (scope > 1) steps.splice(1, scope - 1);
  return capPath(foldRepeats(steps));
}

/** Runs shorter than this are told in full. */
const MIN_REPEAT = 3;
/**
 * Longest repeated block folded: `.next: Node`, or `.next: Node → .value: Item` (2), … up to a
 * promise chain's four (`Promise → (closure) → (closure scope) → Promise`: each `.then` callback's
 * closure holds the promise of the turn before).
 */
const MAX_SPAN = 4;
/** Longest path told, after folding; the middle of a longer one is left out. */
export const MAX_PATH_STEPS = 14;
const HEAD_STEPS = 5;

const sameStep = (a: HeapPathStep, b: HeapPathStep) => a.edge === b.edge && a.edgeType === b.edgeType && a.node === b.node;

/**
 * Repeated steps told once with a count: a chain of 60,000 nodes is `.next: Node ×59,999`, not
 * 60,000 steps. The last step (the leaked object itself) stays apart, so the path ends on it.
 */
export function foldRepeats(steps: HeapPathStep[]): HeapPathStep[] {
  const out: HeapPathStep[] = [];
  const end = steps.length - 1;
  let i = 0;
  while (i < end) {
    let bestSpan = 0;
    let bestReps = 0;
    for (let span = 1; span <= MAX_SPAN && i + 2 * span <= end; span++) {
      let reps = 1;
      while (i + (reps + 1) * span <= end) {
        let k = 0;
        while (k < span && sameStep(steps[i + k]!, steps[i + reps * span + k]!)) k++;
        if (k < span) break;
        reps++;
      }
      if (reps >= MIN_REPEAT && reps * span > bestReps * bestSpan) {
        bestSpan = span;
        bestReps = reps;
      }
    }
    if (bestReps === 0) {
      out.push(steps[i++]!);
      continue;
    }
    out.push(bestSpan === 1 ? { ...steps[i]!, repeat: bestReps } : { ...steps[i]!, repeat: bestReps, span: bestSpan });
    for (let k = 1; k < bestSpan; k++) out.push(steps[i + k]!);
    i += bestReps * bestSpan;
  }
  if (end >= 0) out.push(steps[end]!);
  return out;
}

/** At most MAX_PATH_STEPS steps: the root end and the object's end, one `omitted` step between. */
export function capPath(steps: HeapPathStep[]): HeapPathStep[] {
  if (steps.length <= MAX_PATH_STEPS) return steps;
  // Kept: steps[0, head) and steps[tailStart, length), never cutting a folded block in two.
  let head = HEAD_STEPS;
  let tailStart = steps.length - (MAX_PATH_STEPS - HEAD_STEPS - 1);
  for (let k = head - 1; k >= Math.max(0, head - MAX_SPAN); k--) if (k + (steps[k]!.span ?? 1) > head) head = k;
  for (let k = tailStart - 1; k >= Math.max(head, tailStart - MAX_SPAN); k--) if (k + (steps[k]!.span ?? 1) > tailStart) tailStart = k + steps[k]!.span!;
  const omitted = tailStart - head;
  const gap: HeapPathStep = { edge: '', edgeType: 'omitted', node: `… ${omitted} steps …`, nodeType: '', id: 0, omitted };
  return [...steps.slice(0, head), gap, ...steps.slice(tailStart)];
}
