/**
 * Retained sizes from the dominator tree of a snapshot's strong graph (weak edges left out), by
 * Lengauer and Tarjan's algorithm ("A Fast Algorithm for Finding Dominators in a Flowgraph",
 * the simple version with path compression: O(m log n)), all in typed arrays and without
 * recursion: a leaked linked list is a path as deep as the list is long. An iterative algorithm
 * over postorder (Cooper–Harvey–Kennedy) is quadratic on such chains.
 *
 * Vertices are numbered 1..count in depth-first preorder; 0 means "none". A node's immediate
 * dominator always comes before it in preorder, so retained sizes add up in one backward pass.
 */
import type { HeapSnapshot } from './snapshot-reader.js';

const NONE = 0xffffffff;

export interface Dominators {
  /** Immediate dominator of each node (node index), NONE for unreached nodes; the root is its own. */
  idom: Uint32Array;
  /** Self size plus everything the node alone keeps alive. */
  retained: Float64Array;
  /** Reached nodes in depth-first preorder: every node comes after its immediate dominator. */
  preorder: Uint32Array;
}

export function computeDominators(snap: HeapSnapshot, root = 0): Dominators {
  const n = snap.nodeCount;
  const weak = snap.edgeTypes.indexOf('weak');
  const { firstEdge, edgeTo, edgeType } = snap;

  // Depth-first preorder over strong edges, with an explicit stack (node, next edge to look at).
  const dfn = new Uint32Array(n); // node → preorder number (1-based), 0 unreached
  const vertex = new Uint32Array(n + 1); // preorder number → node
  const parent = new Uint32Array(n + 1); // preorder number → its DFS parent's number
  let count = 0;
  {
    const stackNode = new Uint32Array(n);
    const stackEdge = new Uint32Array(n);
    let sp = 0;
    stackNode[0] = root;
    stackEdge[0] = firstEdge[root]!;
    dfn[root] = ++count;
    vertex[count] = root;
    while (sp >= 0) {
      const node = stackNode[sp]!;
      const end = firstEdge[node + 1]!;
      let e = stackEdge[sp]!;
      for (; e < end; e++) {
        if (edgeType[e] === weak) continue;
        const to = edgeTo[e]!;
        if (dfn[to] !== 0) continue;
        stackEdge[sp] = e + 1;
        dfn[to] = ++count;
        vertex[count] = to;
        parent[count] = dfn[node]!;
        sp++;
        stackNode[sp] = to;
        stackEdge[sp] = firstEdge[to]!;
        break;
      }
      if (e >= end) sp--;
    }
  }

  const { first, nodes: retainerNodes, edges: retainerEdges } = snap.buildRetainers();
  const semi = new Uint32Array(count + 1);
  const label = new Uint32Array(count + 1);
  const ancestor = new Uint32Array(count + 1); // the link-eval forest, 0 for a tree root
  const dom = new Uint32Array(count + 1);
  const bucketHead = new Uint32Array(count + 1);
  const bucketNext = new Uint32Array(count + 1);
  const path = new Uint32Array(count + 1); // compress()'s walk up the forest
  for (let v = 1; v <= count; v++) {
    semi[v] = v;
    label[v] = v;
  }

  /** The vertex with the smallest semidominator on v's forest path, compressing the path on the way. */
  const evaluate = (v: number): number => {
    if (ancestor[v] === 0) return v;
    // Collect v and its ancestors whose own ancestor is not a forest root, then fold from the top down.
    let top = 0;
    let x = v;
    while (ancestor[ancestor[x]!] !== 0) {
      path[top++] = x;
      x = ancestor[x]!;
    }
    while (top > 0) {
      const y = path[--top]!;
      const a = ancestor[y]!;
      if (semi[label[a]!]! < semi[label[y]!]!) label[y] = label[a]!;
      ancestor[y] = ancestor[a]!;
    }
    return label[v]!;
  };

  for (let w = count; w >= 2; w--) {
    const node = vertex[w]!;
    let s = semi[w]!;
    for (let k = first[node]!; k < first[node + 1]!; k++) {
      if (edgeType[retainerEdges[k]!] === weak) continue;
      const v = dfn[retainerNodes[k]!]!;
      if (v === 0) continue;
      const u = evaluate(v);
      if (semi[u]! < s) s = semi[u]!;
    }
    semi[w] = s;
    bucketNext[w] = bucketHead[s]!;
    bucketHead[s] = w;
    const p = parent[w]!;
    ancestor[w] = p;
    for (let v = bucketHead[p]!; v !== 0; v = bucketNext[v]!) {
      const u = evaluate(v);
      dom[v] = semi[u]! < semi[v]! ? u : p;
    }
    bucketHead[p] = 0;
  }
  dom[1] = 1;
  for (let w = 2; w <= count; w++) if (dom[w] !== semi[w]) dom[w] = dom[dom[w]!]!;

  const idom = new Uint32Array(n).fill(NONE);
  const retained = new Float64Array(n);
  const preorder = vertex.subarray(1, count + 1);
  for (let w = 1; w <= count; w++) {
    const node = vertex[w]!;
    idom[node] = vertex[dom[w]!]!;
    retained[node] = snap.nodeSelfSize[node]!;
  }
  for (let w = count; w >= 2; w--) retained[vertex[dom[w]!]!]! += retained[vertex[w]!]!;
  return { idom, retained, preorder };
}

export { NONE as NO_DOMINATOR };
