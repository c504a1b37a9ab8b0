/**
 * Retained sizes from the dominator tree of a snapshot's strong graph (weak edges left out),
 * by Cooper, Harvey and Kennedy's iterative algorithm ("A Simple, Fast Dominance Algorithm")
 * over postorder numbers, all in typed arrays: a node's dominator always has a higher
 * postorder number, so retained sizes add up in one pass in postorder.
 */
import type { HeapSnapshot } from './snapshot-reader.js';

const NONE = 0xffffffff;

export interface Dominators {
  /** Immediate dominator of each node (node index), NONE for unreached nodes; the root is its own. */
  idom: Uint32Array;
  /** Self size plus everything the node alone keeps alive. */
  retained: Float64Array;
}

export function computeDominators(snap: HeapSnapshot, root = 0): Dominators {
  const n = snap.nodeCount;
  const weak = snap.edgeTypes.indexOf('weak');
  const { firstEdge, edgeTo, edgeType } = snap;

  // Postorder by an iterative DFS over strong edges.
  const post = new Uint32Array(n).fill(NONE); // node → postorder number
  const order = new Uint32Array(n); // postorder number → node
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  const onStack = new Uint8Array(n);
  let count = 0;
  let sp = 0;
  stackNode[0] = root;
  stackEdge[0] = firstEdge[root]!;
  onStack[root] = 1;
  while (sp >= 0) {
    const node = stackNode[sp]!;
    const end = firstEdge[node + 1]!;
    let e = stackEdge[sp]!;
    for (; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const to = edgeTo[e]!;
      if (onStack[to]) continue;
      onStack[to] = 1;
      stackEdge[sp] = e + 1;
      sp++;
      stackNode[sp] = to;
      stackEdge[sp] = firstEdge[to]!;
      break;
    }
    if (e >= end) {
      post[node] = count;
      order[count++] = node;
      sp--;
    }
  }

  // Predecessors over strong edges, in postorder numbers.
  const { first, nodes: retainerNodes, edges: retainerEdges } = snap.buildRetainers();
  const doms = new Uint32Array(count).fill(NONE); // postorder → postorder of idom
  const rootPost = count - 1;
  doms[rootPost] = rootPost;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = rootPost - 1; b >= 0; b--) {
      const node = order[b]!;
      let idom = NONE;
      for (let k = first[node]!; k < first[node + 1]!; k++) {
        if (edgeType[retainerEdges[k]!] === weak) continue;
        const p = post[retainerNodes[k]!]!;
        if (p === NONE || doms[p] === NONE) continue;
        if (idom === NONE) {
          idom = p;
          continue;
        }
        let a = p;
        let c = idom;
        while (a !== c) {
          while (a < c) a = doms[a]!;
          while (c < a) c = doms[c]!;
        }
        idom = a;
      }
      if (idom !== NONE && doms[b] !== idom) {
        doms[b] = idom;
        changed = true;
      }
    }
  }

  const idom = new Uint32Array(n).fill(NONE);
  const retained = new Float64Array(n);
  for (let b = 0; b < count; b++) retained[b] = snap.nodeSelfSize[order[b]!]!;
  for (let b = 0; b < rootPost; b++) {
    const d = doms[b]!;
    if (d === NONE) continue;
    retained[d]! += retained[b]!;
  }
  const byNode = new Float64Array(n);
  for (let b = 0; b < count; b++) {
    const node = order[b]!;
    byNode[node] = retained[b]!;
    const d = doms[b]!;
    idom[node] = d === NONE ? NONE : order[d]!;
  }
  return { idom, retained: byNode };
}

export { NONE as NO_DOMINATOR };
