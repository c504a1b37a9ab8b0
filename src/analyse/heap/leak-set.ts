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
import { leakprofObjects, NodeNamer, retainerPath, shortestPaths, type ShortestPaths } from './retainer-paths.js';
import { checkSnapshotFiles, checkSnapshotPair, hasId } from './snapshot-order.js';
import { kindKey, readSnapshot, readSnapshotIds, VALUE_TYPES, type HeapSnapshot, type SnapshotIds } from './snapshot-reader.js';

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
const NONE = NO_DOMINATOR;
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

  const { groups, folded, shrunk } = groupLeaks(s3, leak, doms, namer, [s1, s2], paths);
  if (folded > 0) notes.push(`${folded} leaked object(s) of other kinds held only through leaked objects are counted in those objects' retained size, not as groups of their own`);
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
    if (hasId(s1.ids, id) || !hasId(s2.ids, id)) continue;
    const name = s3.nameOf(i);
    // Node's own C++ bookkeeping (its module loader's caches, `Node / std::…`) is the runtime's, not the program's.
    if (name.startsWith('system / ') || name.startsWith('Node / std::') || INTERNAL_NAMES.has(name)) continue;
    out.push(i);
  }
  return out;
}

interface Building {
  group: HeapLeakGroup;
  /** kindKey() of the group, and its number from kindCode(). */
  key: string;
  code: number;
  /**
   * The member whose path is shown: the head of the longest chain, else the one closest to a root
   * among those held where most are (one held also by a root — a stack slot, a global — would show
   * a path that none of the others has).
   */
  node: number;
  rank: number;
  members: number;
  /** Heads held by the shown member's holder (see heldTogether). */
  together: number;
  /** Members held one by the next (the rest of a chain), and the edges that hold them, sampled. */
  chained: number;
  chainEdges: Map<string, number>;
  /** The one object every head sits in, NONE once two differ. */
  holder: number;
  heads: number;
}

/** Chain members whose holding edge is looked at, per group. */
const CHAIN_SAMPLE = 256;

/**
 * Leaked objects grouped by kind. An object that another leaked object holds alone (its dominator
 * tree has a leaked object above it) is not a group of its own: it is in that object's retained
 * size, and it counts in its group when it is of the same kind — the rest of a chain, so that a
 * list of 60,000 nodes is 60,000 nodes, held through one edge, not one node holding the rest.
 */
function groupLeaks(
  s3: HeapSnapshot,
  leak: number[],
  doms: Dominators | undefined,
  namer: NodeNamer,
  earlier: SnapshotIds[],
  paths: ShortestPaths,
): { groups: Building[]; folded: number; shrunk: number } {
  const n = s3.nodeCount;
  const member = new Uint8Array(n);
  for (const node of leak) member[node] = 1;
  // top[x]: the outermost leaked object among x's dominators, x included; NONE when there is none.
  let top: Uint32Array | undefined;
  if (doms) {
    top = new Uint32Array(n).fill(NO_DOMINATOR);
    for (const node of doms.preorder) {
      const d = doms.idom[node]!;
      const up = d === node ? NO_DOMINATOR : top[d]!;
      top[node] = up !== NO_DOMINATOR ? up : member[node] ? node : NO_DOMINATOR;
    }
  }
  const kindOf = kindCode(s3);
  const byKind = new Map<number, Building>();
  // Heads, their holders, and how many heads each object holds.
  const heads = new Uint32Array(leak.length);
  const headHolder = new Uint32Array(leak.length);
  let headCount = 0;
  const heldTogether = new Uint32Array(n);
  /** Heads that hold members of their own kind: how many they hold. */
  const chainOf = new Map<number, number>();
  // Heads first: the objects no other leaked object holds alone.
  for (const node of leak) {
    // (A node the dominator search did not reach, NONE, is a head of its own.)
    if (top && top[node] !== node && top[node] !== NONE) continue;
    const code = kindOf(node);
    let b = byKind.get(code);
    if (!b) {
      const type = s3.typeOf(node);
      const key = kindKey(type, s3.nameOf(node));
      b = { group: { name: namer.groupName(node), nodeType: type, count: 0, selfBytes: 0, countsBySnapshot: [], retainerPath: [], examples: [] }, key, code, node, rank: NONE, members: 0, together: 0, chained: 0, chainEdges: new Map(), holder: NONE, heads: 0 };
      if (doms) b.group.retainedBytes = 0;
      byKind.set(code, b);
    }
    const g = b.group;
    g.count++;
    g.selfBytes += s3.nodeSelfSize[node]!;
    if (doms) g.retainedBytes! += doms.retained[node]!;
    if (g.examples.length < EXAMPLES) g.examples.push(s3.nodeId[node]!);
    const holder = holderOf(s3, paths, node);
    if (b.heads++ === 0) b.holder = holder;
    else if (b.holder !== holder) b.holder = NONE;
    heads[headCount] = node;
    headHolder[headCount++] = holder;
    if (holder !== NONE) heldTogether[holder]!++;
  }
  // The head shown: one held where most heads are (ties: the one closest to a root). A holder's
  // count is over all kinds, in one array rather than a map per group: one object seldom holds
  // many heads of two kinds.
  for (let k = 0; k < headCount; k++) {
    const node = heads[k]!;
    const b = byKind.get(kindOf(node))!;
    const together = headHolder[k] === NONE ? 0 : heldTogether[headHolder[k]!]!;
    const rank = paths.rank[node]!;
    if (together > b.together || (together === b.together && rank < b.rank)) [b.node, b.rank, b.members, b.together] = [node, rank, 1, together];
  }
  // The rest: of the same kind as their head (a chain's members) they count in its group; else they are in its retained size.
  let folded = 0;
  if (top) {
    for (const node of leak) {
      const head = top[node]!;
      if (head === node || head === NONE) continue;
      const code = kindOf(node);
      const b = byKind.get(kindOf(head))!;
      if (code !== b.code) {
        folded++;
        continue;
      }
      b.group.count++;
      b.group.selfBytes += s3.nodeSelfSize[node]!;
      if (b.group.examples.length < EXAMPLES) b.group.examples.push(s3.nodeId[node]!);
      b.chained++;
      chainOf.set(head, (chainOf.get(head) ?? 1) + 1);
      if (b.chained <= CHAIN_SAMPLE) {
        const from = paths.parent[node]!;
        if (from !== NONE && kindOf(from) === code) {
          const edge = s3.edgeNameOf(paths.parentEdge[node]!);
          b.chainEdges.set(edge, (b.chainEdges.get(edge) ?? 0) + 1);
        }
      }
    }
  }
  // The member shown: the head of the longest chain, then the one closest to a root.
  for (const [head, members] of chainOf) {
    const b = byKind.get(kindOf(head))!;
    const rank = paths.rank[head]!;
    if (members > b.members || (members === b.members && rank < b.rank)) {
      b.members = members;
      b.rank = rank;
      b.node = head;
    }
  }
  for (const b of byKind.values()) describeShape(s3, namer, kindOf, b);
  // Counts of each kind in the last snapshot, for the groups only: names that no group has are passed over by their index.
  const lastCounts = new Map<number, number>();
  const wantedName = new Uint8Array(s3.strings.length);
  const wantedType = new Uint8Array(s3.nodeTypes.length);
  for (const b of byKind.values()) {
    lastCounts.set(b.code, 0);
    wantedType[s3.nodeType[b.node]!] = 1;
    wantedName[s3.nodeName[b.node]!] = 1;
  }
  const valueType = s3.nodeTypes.map((t) => VALUE_TYPES.has(t));
  for (let i = 0; i < s3.nodeCount; i++) {
    const t = s3.nodeType[i]!;
    if (!wantedType[t] || (!valueType[t] && !wantedName[s3.nodeName[i]!])) continue;
    const code = kindOf(i);
    const c = lastCounts.get(code);
    if (c !== undefined) lastCounts.set(code, c + 1);
  }
  const groups: Building[] = [];
  let shrunk = 0;
  for (const b of byKind.values()) {
    const key = b.key;
    b.group.countsBySnapshot = [...earlier.map((s) => s.kinds.get(key) ?? 0), lastCounts.get(b.code) ?? 0];
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

/** A chain when most of the group is held one by the next through one edge; a collection when every head sits in one object. */
function describeShape(s3: HeapSnapshot, namer: NodeNamer, kindOf: (node: number) => number, b: Building): void {
  if (b.chained > b.heads) {
    let best = '';
    let most = 0;
    let sampled = 0;
    for (const [edge, count] of b.chainEdges) {
      sampled += count;
      if (count > most) [best, most] = [edge, count];
    }
    if (most * 2 > sampled) b.group.chain = { edge: best };
  }
  // The heads' one holder, unless it is of their own kind (where a chain goes on from older members).
  if (b.heads >= 2 && b.holder !== NONE && kindOf(b.holder) !== b.code) {
    const name = namer.pathName(b.holder);
    if (name) b.group.collection = { name, id: s3.nodeId[b.holder]! };
  }
}

/**
 * A node's kind as a number, without a string per node: kindKey()'s (type, name) from their
 * indexes (V8 writes each string once, so one name is one index), the type alone for values.
 */
function kindCode(s3: HeapSnapshot): (node: number) => number {
  const valueType = s3.nodeTypes.map((t) => VALUE_TYPES.has(t));
  const types = s3.nodeTypes.length;
  return (node) => {
    const t = s3.nodeType[node]!;
    return valueType[t] ? -1 - t : s3.nodeName[node]! * types + t;
  };
}

/** What holds a node on its shortest path, V8's plumbing (a Map's table, an array's elements) passed over. */
function holderOf(s3: HeapSnapshot, paths: ShortestPaths, node: number): number {
  let at = paths.parent[node]!;
  for (let guard = 0; at !== NONE && guard < 8; guard++) {
    if (!isPlumbing(s3, at)) return at;
    const up = paths.parent[at]!;
    if (up === at) return NONE;
    at = up;
  }
  return NONE;
}

function isPlumbing(s3: HeapSnapshot, node: number): boolean {
  const type = s3.typeOf(node);
  if (type === 'hidden' || type === 'code' || type === 'array' || type === 'object shape' || type === 'number') return true;
  const name = s3.nameOf(node);
  return name.startsWith('system / ') && name !== 'system / Context' && name !== 'system / SourceTextModule';
}
