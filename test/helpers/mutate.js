// The fuzzer's generator: seeded, deterministic mutations of valid inputs — byte flips,
// truncations, splices, inserted and repeated runs of bytes, and for JSON structural changes
// (a field dropped, retyped, set to an edge value, swapped with another, an element repeated).
// Same seed, same mutant: a failure names its seed and replays.

/** mulberry32: a small seeded PRNG, enough to pick positions and operations. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r, n) => Math.floor(r() * n);
const pick = (r, list) => list[int(r, list.length)];

/** One byte-level mutation of `buf` (a donor supplies spliced bytes); returns the bytes and what was done. */
export function mutateBytes(buf, r, donor = buf) {
  const out = Buffer.from(buf);
  const at = int(r, Math.max(out.length, 1));
  const len = 1 + int(r, Math.min(64, Math.max(out.length - at, 1)));
  switch (int(r, 6)) {
    case 0: {
      const n = 1 + int(r, 8);
      for (let k = 0; k < n; k++) out[int(r, out.length)] ^= 1 << int(r, 8);
      return { bytes: out, how: `flip ${n} bit(s)` };
    }
    case 1:
      return { bytes: out.subarray(0, at), how: `truncate at ${at}` };
    case 2: {
      const from = int(r, Math.max(donor.length - len, 1));
      return { bytes: Buffer.concat([out.subarray(0, at), donor.subarray(from, from + len), out.subarray(at + len)]), how: `splice ${len} bytes from ${from} at ${at}` };
    }
    case 3: {
      const junk = Buffer.alloc(len);
      for (let k = 0; k < len; k++) junk[k] = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 256), 0x22, 0x5b, 0x7b, 0x2c]);
      return { bytes: Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]), how: `insert ${len} bytes at ${at}` };
    }
    case 4:
      return { bytes: Buffer.concat([out.subarray(0, at + len), out.subarray(at)]), how: `repeat ${len} bytes at ${at}` };
    default:
      out.fill(pick(r, [0, 0xff]), at, at + len);
      return { bytes: out, how: `fill ${len} bytes at ${at}` };
  }
}

const EDGE_VALUES = [null, true, 0, -1, 1.5, 2 ** 32, -(2 ** 53), 1e308, '', 'x', '-1', [], {}, [[]], { a: 1 }];

/** One structural mutation of a parsed JSON value (changed in place); returns what was done. */
export function mutateJson(root, r) {
  const paths = [];
  const walk = (value, path, depth) => {
    if (paths.length > 20000 || depth > 12) return;
    if (Array.isArray(value)) {
      // Long arrays (a heap snapshot's nodes): a sample of their elements.
      const step = Math.max(1, Math.floor(value.length / 200));
      for (let i = 0; i < value.length; i += step) {
        paths.push([...path, i]);
        walk(value[i], [...path, i], depth + 1);
      }
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        paths.push([...path, key]);
        walk(value[key], [...path, key], depth + 1);
      }
    }
  };
  walk(root, [], 0);
  if (paths.length === 0) return 'nothing to mutate';
  const path = pick(r, paths);
  const parent = path.slice(0, -1).reduce((v, k) => v[k], root);
  const key = path.at(-1);
  const name = path.join('.');
  switch (int(r, 5)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key, 1);
      else delete parent[key];
      return `drop ${name}`;
    case 1: {
      const value = structuredClone(pick(r, EDGE_VALUES));
      parent[key] = value;
      return `set ${name} = ${JSON.stringify(value)}`;
    }
    case 2: {
      const other = pick(r, paths);
      const value = structuredClone(other.reduce((v, k) => v?.[k], root));
      parent[key] = value;
      return `set ${name} = the value of ${other.join('.')}`;
    }
    case 3: {
      const v = parent[key];
      parent[key] = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.length : Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [i, x])) : v && typeof v === 'object' ? Object.values(v) : [v];
      return `retype ${name}`;
    }
    default:
      if (Array.isArray(parent)) {
        parent.splice(key, 0, ...Array(1 + int(r, 3)).fill(parent[key]));
        return `repeat ${name}`;
      }
      parent[`${key}_`] = parent[key];
      return `add a key beside ${name}`;
  }
}

/** A mutant of a valid input: structural for JSON half the time, else bytes. */
export function mutate(bytes, r, { json = false, donor } = {}) {
  if (json && r() < 0.5) {
    const value = JSON.parse(bytes.toString('utf8'));
    const how = mutateJson(value, r);
    return { bytes: Buffer.from(JSON.stringify(value)), how };
  }
  return mutateBytes(bytes, r, donor);
}

/**
 * A real heap snapshot made small enough to read hundreds of times: its first `keep` nodes (the
 * roots and what they hold first) and its `newest` nodes by id (what the program made last), the
 * edges among them, and its string table, with meta's counts fixed. Still V8's own structure.
 */
export function shrinkSnapshot(text, { keep = 300, newest = 150 } = {}) {
  const s = JSON.parse(text);
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const idAt = meta.node_fields.indexOf('id');
  const toAt = meta.edge_fields.indexOf('to_node');
  const count = s.snapshot.node_count;
  const byId = [...Array(count).keys()].sort((x, y) => s.nodes[y * nf + idAt] - s.nodes[x * nf + idAt]);
  const kept = [...new Set([...Array(Math.min(keep, count)).keys(), ...byId.slice(0, newest)])].sort((x, y) => x - y);
  const index = new Map(kept.map((old, i) => [old, i]));
  const firstEdge = [];
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge.push(e);
    e += s.nodes[i * nf + edgeCountAt];
  }
  const nodes = [];
  const edges = [];
  for (const old of kept) {
    const node = s.nodes.slice(old * nf, (old + 1) * nf);
    let n = 0;
    for (let k = 0; k < node[edgeCountAt]; k++) {
      const edge = s.edges.slice((firstEdge[old] + k) * ef, (firstEdge[old] + k + 1) * ef);
      const to = index.get(edge[toAt] / nf);
      if (to === undefined) continue;
      edge[toAt] = to * nf;
      edges.push(...edge);
      n++;
    }
    node[edgeCountAt] = n;
    nodes.push(...node);
  }
  // Only the strings the kept nodes and edges name, renumbered.
  const nameAt = meta.node_fields.indexOf('name');
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const edgeTypes = meta.edge_types[0];
  const strings = [''];
  const renumber = new Map([[0, 0]]);
  const use = (i) => {
    if (!renumber.has(i)) {
      renumber.set(i, strings.length);
      strings.push(s.strings[i]);
    }
    return renumber.get(i);
  };
  for (let i = 0; i < nodes.length; i += nf) nodes[i + nameAt] = use(nodes[i + nameAt]);
  for (let i = 0; i < edges.length; i += ef) {
    if (!['element', 'hidden'].includes(edgeTypes[edges[i + edgeTypeAt]])) edges[i + edgeNameAt] = use(edges[i + edgeNameAt]);
  }
  Object.assign(s, { nodes, edges, strings, locations: [], samples: [], trace_function_infos: [], trace_tree: [] });
  Object.assign(s.snapshot, { node_count: kept.length, edge_count: edges.length / ef, trace_function_count: 0 });
  return JSON.stringify(s);
}
