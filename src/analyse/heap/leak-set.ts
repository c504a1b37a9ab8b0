/**
 * memlab's three-snapshot leak set over V8 heap snapshots of one process: objects allocated
 * after the first snapshot (baseline), alive in the second (target) and still alive in the
 * last (final). V8 keeps an object's id across snapshots of one process, so the set is a
 * matter of ids. The first two snapshots are read for their ids and per-kind counts only;
 * the last one in full, for paths, sizes and dominators.
 */
import { rmSync } from 'node:fs';
import type { HeapLeakGroup, HeapLeakReport, HeapPathStep, HeapSnapshotInfo } from '../../report/schema.js';
import { computeDominators, NO_DOMINATOR, type Dominators } from './dominators.js';
import { leakprofObjects, NodeNamer, retainerPath, shortestPaths } from './retainer-paths.js';
import { checkSnapshotFiles, checkSnapshotPair } from './snapshot-order.js';
import { kindKey, readSnapshot, readSnapshotIds, type HeapSnapshot, type SnapshotIds } from './snapshot-reader.js';

export interface HeapSnapshotInput {
  file: string;
  label: string;
  uptimeMs?: number;
}

export interface FindHeapLeaksOptions {
  /** Groups kept in the report, largest first (default 10). */
  top?: number;
  /** A line now and then while big snapshots are read and analysed. */
  onProgress?: (msg: string) => void;
  /** false: delete the snapshot files once read (their `file` becomes null). Kept otherwise. */
  keepFiles?: boolean;
  /**
   * Check that the files are three different snapshots of one process, oldest first (default
   * true): for snapshots a user gives; leakprof's own checkpoints are known to be.
   */
  checkInput?: boolean;
}

/** Node types that are V8's own plumbing, never what a program leaks (memlab drops them too). */
const INTERNAL_TYPES = new Set(['hidden', 'code', 'synthetic', 'object shape', 'array', 'number']);
const INTERNAL_NAMES = new Set(['(system)', '(compiled code)', '(Internalized strings)', '(External strings)']);
const EXAMPLES = 5;
/** Edges of Node's private symbols (`<symbol node:source_map_data_private_symbol>`): what hangs there is Node's bookkeeping. */
const RUNTIME_EDGE = /^<symbol node:\w*private_symbol>$/;

export async function findHeapLeaks(snapshots: HeapSnapshotInput[], options: FindHeapLeaksOptions = {}): Promise<HeapLeakReport> {
  if (snapshots.length < 3) throw new Error(`a heap leak set needs 3 snapshots (baseline, target, final), got ${snapshots.length}`);
  const top = options.top ?? 10;
  const say = options.onProgress ?? (() => {});
  const first = snapshots[0]!;
  const second = snapshots[1]!;
  const last = snapshots[snapshots.length - 1]!;
  const notes: string[] = [];
  if (snapshots.length > 3) notes.push(`${snapshots.length - 3} snapshot(s) between the second and the last were not needed and not read`);

  const progress = (label: string) => {
    let shown = -1;
    return (read: number, total: number) => {
      const pct = Math.floor((read / Math.max(total, 1)) * 10) * 10;
      if (total > 32 << 20 && pct !== shown) {
        shown = pct;
        say(`reading ${label}: ${pct}% of ${Math.round(total / 2 ** 20)} MB`);
      }
    };
  };
  const checkInput = options.checkInput !== false;
  if (checkInput) checkSnapshotFiles([first.file, second.file, last.file]);
  const s1 = await readSnapshotIds(first.file, { onProgress: progress(first.label) });
  const s2 = await readSnapshotIds(second.file, { onProgress: progress(second.label) });
  if (checkInput) checkSnapshotPair(s1, s2);
  const s3 = await readSnapshot(last.file, { onProgress: progress(last.label) });
  if (checkInput) checkSnapshotPair(s2, { file: s3.file, ids: s3.nodeId.slice().sort(), totalBytes: s3.totalBytes });

  say(`finding the leak set among ${s3.nodeCount.toLocaleString('en-US')} objects`);
  const namer = new NodeNamer(s3);
  const paths = shortestPaths(s3, 0, leakprofObjects(s3, namer));
  const leak = leakSet(s3, s1, s2, paths.parent, paths.own);
  say(`${leak.length.toLocaleString('en-US')} objects in the leak set; computing retained sizes`);
  let doms: Dominators | undefined;
  try {
    doms = computeDominators(s3);
  } catch (error) {
    notes.push(`retained sizes left out: ${(error as Error).message}`);
  }

  const { groups, folded, shrunk } = groupLeaks(s3, leak, doms, namer, [s1, s2], paths.rank);
  if (folded > 0) notes.push(`${folded} leaked object(s) held only through other leaked objects are counted in those objects' retained size, not as groups of their own`);
  if (shrunk > 0) notes.push(`${shrunk} group(s) left out: no more of their kind in the last snapshot than in the first`);
  groups.sort((x, y) => size(y.group) - size(x.group) || y.group.count - x.group.count);
  const shown: typeof groups = [];
  let runtime = 0;
  for (const g of groups) {
    if (shown.length === top) break;
    const node = g.node;
    g.group.retainerPath = retainerPath(s3, paths, namer, node);
    // Held in Node's own caches, under its private symbols (the source maps it parses as stacks are mapped, …): the runtime's.
    if (heldByRuntime(g.group.retainerPath)) {
      runtime++;
      continue;
    }
    const loc = namer.location(node);
    if (loc) g.group.location = loc;
    shown.push(g);
  }
  if (runtime > 0) notes.push(`${runtime} group(s) held only in Node's own caches (source maps and the like) left out`);
  const notShown = groups.length - shown.length - runtime;
  if (notShown > 0) notes.push(`${notShown} smaller group(s) not shown (--top ${top})`);

  const deleting = options.keepFiles === false;
  const infos: HeapSnapshotInfo[] = [info(first, s1, deleting), info(second, s2, deleting), info(last, s3, deleting)];
  if (deleting) for (const s of snapshots) rmSync(s.file, { force: true });
  let total = 0;
  let totalBytes = 0;
  for (const node of leak) {
    total++;
    totalBytes += s3.nodeSelfSize[node]!;
  }
  return { snapshots: infos, total, totalBytes, groups: shown.map((g) => g.group), notes };
}

const size = (g: HeapLeakGroup) => g.retainedBytes ?? g.selfBytes;

/**
 * Node's own state, not the program's: held under one of Node's private symbols (the source maps
 * it parses as stacks are mapped), or with Node's code as the innermost scope on the path (a
 * lazily built table in node:internal/…). A path through Node's timers into a program's closure
 * ends in the program's scope, and stays.
 */
function heldByRuntime(path: HeapPathStep[]): boolean {
  if (path.some((step) => RUNTIME_EDGE.test(step.edge))) return true;
  for (let k = path.length - 1; k >= 0; k--) {
    const scope = /^\((?:module scope|closure scope|scope captured by [^)]*)\) (.*)$/.exec(path[k]!.node);
    if (scope) return scope[1]!.startsWith('node:');
  }
  return false;
}

function info(input: HeapSnapshotInput, snap: SnapshotIds | HeapSnapshot, deleted: boolean): HeapSnapshotInfo {
  const out: HeapSnapshotInfo = { label: input.label, file: deleted ? null : input.file, nodes: snap.nodeCount, bytes: snap.totalBytes };
  if (input.uptimeMs !== undefined) out.uptimeMs = input.uptimeMs;
  return out;
}

function has(sorted: Uint32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Nodes of the last snapshot new since the first, present in the second, strongly reachable and not V8's own. */
function leakSet(s3: HeapSnapshot, s1: SnapshotIds, s2: SnapshotIds, parent: Uint32Array, own: Uint8Array): number[] {
  const internalType = new Uint8Array(s3.nodeTypes.length);
  s3.nodeTypes.forEach((t, i) => (internalType[i] = INTERNAL_TYPES.has(t) ? 1 : 0));
  const out: number[] = [];
  for (let i = 0; i < s3.nodeCount; i++) {
    if (internalType[s3.nodeType[i]!]) continue;
    // Reachable only through weak edges (or not at all): on its way out, not leaked.
    if (parent[i] === NO_DOMINATOR) continue;
    // leakprof's own tables, in the process it watched.
    if (own[i]) continue;
    const id = s3.nodeId[i]!;
    if (has(s1.ids, id) || !has(s2.ids, id)) continue;
    const name = s3.nameOf(i);
    // Node's own C++ bookkeeping (its module loader's caches, `Node / std::…`) is the runtime's, not the program's.
    if (name.startsWith('system / ') || name.startsWith('Node / std::') || INTERNAL_NAMES.has(name)) continue;
    out.push(i);
  }
  return out;
}

interface Building {
  group: HeapLeakGroup;
  /** The member closest to a root: the one whose path is shown. */
  node: number;
  rank: number;
}

function groupLeaks(
  s3: HeapSnapshot,
  leak: number[],
  doms: Dominators | undefined,
  namer: NodeNamer,
  earlier: SnapshotIds[],
  rank: Uint32Array,
): { groups: Building[]; folded: number; shrunk: number } {
  const member = new Uint8Array(s3.nodeCount);
  for (const node of leak) member[node] = 1;
  const byKind = new Map<string, Building>();
  let folded = 0;
  const held = doms ? new HeldByLeaked(doms.idom, member) : undefined;
  for (const node of leak) {
    if (held?.test(node)) {
      folded++;
      continue;
    }
    const type = s3.typeOf(node);
    const key = kindKey(type, s3.nameOf(node));
    let b = byKind.get(key);
    if (!b) {
      b = { group: { name: namer.groupName(node), nodeType: type, count: 0, selfBytes: 0, countsBySnapshot: [], retainerPath: [], examples: [] }, node, rank: Number.MAX_SAFE_INTEGER };
      if (doms) b.group.retainedBytes = 0;
      byKind.set(key, b);
    }
    const g = b.group;
    if (rank[node]! < b.rank) {
      b.rank = rank[node]!;
      b.node = node;
    }
    g.count++;
    g.selfBytes += s3.nodeSelfSize[node]!;
    if (doms) g.retainedBytes! += doms.retained[node]!;
    if (g.examples.length < EXAMPLES) g.examples.push(s3.nodeId[node]!);
  }
  // Counts of each kind in the last snapshot, for the groups only.
  const lastCounts = new Map<string, number>();
  for (const key of byKind.keys()) lastCounts.set(key, 0);
  for (let i = 0; i < s3.nodeCount; i++) {
    const key = kindKey(s3.typeOf(i), s3.nameOf(i));
    const c = lastCounts.get(key);
    if (c !== undefined) lastCounts.set(key, c + 1);
  }
  const groups: Building[] = [];
  let shrunk = 0;
  for (const [key, b] of byKind) {
    b.group.countsBySnapshot = [...earlier.map((s) => s.kinds.get(key) ?? 0), lastCounts.get(key) ?? 0];
    // memlab's set holds objects that churn too (a cache that replaces its entries): a kind
    // that is no more numerous at the end than at the start did not grow, so it is left out.
    if (b.group.countsBySnapshot[2]! <= b.group.countsBySnapshot[0]!) {
      shrunk++;
      continue;
    }
    groups.push(b);
  }
  return { groups, folded, shrunk };
}

/**
 * For each node, whether a leaked object is among its dominators (it is kept alive only through
 * leaked objects). Answers are remembered for every node a walk passes, so the whole set costs
 * one pass up the dominator tree however deep it is (a leaked linked list, say).
 */
class HeldByLeaked {
  /** 0 not known yet, 1 held by a leaked object, 2 not. */
  private readonly state: Uint8Array;
  private readonly walk: number[] = [];

  constructor(
    private readonly idom: Uint32Array,
    private readonly member: Uint8Array,
  ) {
    this.state = new Uint8Array(idom.length);
  }

  test(node: number): boolean {
    const { idom, member, state, walk } = this;
    walk.length = 0;
    let at = idom[node]!;
    let answer = 2;
    while (at !== NO_DOMINATOR) {
      if (member[at]) {
        answer = 1;
        break;
      }
      if (state[at]) {
        answer = state[at]!;
        break;
      }
      walk.push(at);
      const next = idom[at]!;
      if (next === at) break;
      at = next;
    }
    // Every node passed on the way up (none of them leaked) has the same answer.
    for (const n of walk) state[n] = answer;
    return answer === 1;
  }
}
