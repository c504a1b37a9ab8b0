/**
 * A streaming reader for V8 `.heapsnapshot` files. A snapshot of a big process can be larger
 * than V8's longest string (~512 MB), so the file is never held as one string nor JSON.parsed
 * whole: a byte-level tokenizer reads it chunk by chunk and puts the flat `nodes` and `edges`
 * arrays straight into typed arrays, column by column, in the order `snapshot.meta` declares.
 *
 * Two depths: `ids` keeps only each node's id and a count of nodes per (type, name) — what
 * the first and second snapshot of a leak set need — and `full` keeps the graph.
 */
import { createReadStream, statSync } from 'node:fs';

export type ReadDepth = 'ids' | 'full';

export interface ReadOptions {
  depth?: ReadDepth;
  /** Called after each chunk with the bytes read so far and the file's size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Bytes per read (1 MB). Tests make it tiny so that every token is cut by a chunk boundary somewhere. */
  chunkBytes?: number;
}

export interface SnapshotMeta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
  location_fields?: string[];
  [key: string]: unknown;
}

/** Nodes of one (type, name) kind, counted: strings and numbers by type alone (their name is their value). */
export type KindCounts = Map<string, number>;

/** The key a node's kind is counted under: `type\0name`, or just the type for value-like nodes. */
export function kindKey(type: string, name: string): string {
  return VALUE_TYPES.has(type) ? type : `${type}\0${name}`;
}

/** Node types whose name is their content, not a class: grouped by type only. */
export const VALUE_TYPES = new Set(['string', 'concatenated string', 'sliced string', 'number', 'bigint', 'symbol', 'regexp']);

/** What `ids` depth keeps: every node id, sorted, and the per-kind counts. */
export interface SnapshotIds {
  file: string;
  nodeCount: number;
  /** Sum of every node's self size. */
  totalBytes: number;
  /** Node ids, sorted ascending (binary-searchable). */
  ids: Uint32Array;
  kinds: KindCounts;
}

/** The whole graph, column by column. Node `i`'s edges are `firstEdge[i] .. firstEdge[i+1]-1`. */
export class HeapSnapshot {
  /** Retainers (reverse edges), built on first use: node i's retainers are retainerNodes[retainerFirst[i] .. retainerFirst[i+1]-1]. */
  private retainers: { first: Uint32Array; nodes: Uint32Array; edges: Uint32Array } | undefined;

  constructor(
    readonly file: string,
    readonly meta: SnapshotMeta,
    readonly nodeCount: number,
    readonly nodeType: Uint8Array,
    readonly nodeName: Uint32Array,
    readonly nodeId: Uint32Array,
    readonly nodeSelfSize: Float64Array,
    readonly firstEdge: Uint32Array,
    readonly edgeType: Uint8Array,
    readonly edgeName: Uint32Array,
    readonly edgeTo: Uint32Array,
    readonly strings: string[],
    /** node index → [scriptId, line, column] (0-based, as V8 writes them), for nodes that have a location. */
    readonly locations: Map<number, [number, number, number]>,
    readonly totalBytes: number,
  ) {}

  get edgeCount(): number {
    return this.edgeTo.length;
  }

  get nodeTypes(): string[] {
    return this.meta.node_types[0];
  }

  get edgeTypes(): string[] {
    return this.meta.edge_types[0];
  }

  typeOf(node: number): string {
    return this.nodeTypes[this.nodeType[node]!] ?? 'unknown';
  }

  nameOf(node: number): string {
    return this.strings[this.nodeName[node]!] ?? '';
  }

  edgeTypeOf(edge: number): string {
    return this.edgeTypes[this.edgeType[edge]!] ?? 'unknown';
  }

  /** A property name, or the index of an element / hidden edge as text. */
  edgeNameOf(edge: number): string {
    const type = this.edgeTypeOf(edge);
    return type === 'element' || type === 'hidden' ? String(this.edgeName[edge]) : (this.strings[this.edgeName[edge]!] ?? '');
  }

  /** Reverse edges, for walking from an object to what holds it. Built once, on demand (4 bytes × 2 per edge). */
  retainersOf(node: number): Array<{ from: number; edge: number }> {
    const r = this.buildRetainers();
    const out: Array<{ from: number; edge: number }> = [];
    for (let k = r.first[node]!; k < r.first[node + 1]!; k++) out.push({ from: r.nodes[k]!, edge: r.edges[k]! });
    return out;
  }

  buildRetainers(): { first: Uint32Array; nodes: Uint32Array; edges: Uint32Array } {
    if (this.retainers) return this.retainers;
    const n = this.nodeCount;
    const first = new Uint32Array(n + 1);
    for (let e = 0; e < this.edgeTo.length; e++) first[this.edgeTo[e]! + 1]!++;
    for (let i = 0; i < n; i++) first[i + 1]! += first[i]!;
    const fill = first.slice(0, n);
    const nodes = new Uint32Array(this.edgeTo.length);
    const edges = new Uint32Array(this.edgeTo.length);
    for (let i = 0; i < n; i++) {
      for (let e = this.firstEdge[i]!; e < this.firstEdge[i + 1]!; e++) {
        const slot = fill[this.edgeTo[e]!]!++;
        nodes[slot] = i;
        edges[slot] = e;
      }
    }
    this.retainers = { first, nodes, edges };
    return this.retainers;
  }
}

/** Reads a snapshot's ids and per-kind counts only (the first and second snapshot of a leak set). */
export function readSnapshotIds(file: string, options: Omit<ReadOptions, 'depth'> = {}): Promise<SnapshotIds> {
  return readStream(file, 'ids', options) as Promise<SnapshotIds>;
}

/** Reads a whole snapshot into typed arrays. */
export function readSnapshot(file: string, options: Omit<ReadOptions, 'depth'> = {}): Promise<HeapSnapshot> {
  return readStream(file, 'full', options) as Promise<HeapSnapshot>;
}

// Tokenizer states.
const TOP_START = 0; // before the opening {
const TOP_KEY = 1; // expecting a key or }
const TOP_COLON = 2;
const TOP_VALUE = 3; // expecting a value for `key`
const TOP_AFTER = 4; // after a value: , or }
const TOP_DONE = 5;
const IN_KEY = 6; // inside the key's string
const RAW = 7; // capturing or skipping a nested JSON value (depth-counted)
const NUM_START = 8; // expecting [ of a number array
const NUM = 9; // inside a number array
const STR_START = 10; // expecting [ of the strings array
const STR = 11; // inside the strings array, between strings
const STR_IN = 12; // inside one string
const NUM_SLOW = 13; // inside a signed or fractional number

const NUMERIC_KEYS = new Set(['nodes', 'edges', 'locations', 'samples', 'trace_function_infos']);

class SnapshotFormatError extends Error {}

/** The parser: fed chunks, it keeps its state across chunk boundaries. */
class Tokenizer {
  state = TOP_START;
  pos = 0; // absolute byte offset of the current byte
  key = '';
  keyBytes: number[] = [];
  // RAW
  rawDepth = 0;
  rawInString = false;
  rawEscape = false;
  rawCapture: Buffer[] | null = null;
  rawStart = 0;
  // NUM
  numValue = 0;
  numDigits = false;
  numSlow = '';
  numIndex = 0;
  numSink: (index: number, value: number) => void = () => {};
  // STR
  strParts: Buffer[] = [];
  strStart = 0;
  strEscaped = false;
  strAfterBackslash = false;
  strIndex = 0;

  meta: SnapshotMeta | undefined;
  nodeCountHint = -1;
  edgeCountHint = -1;
  seenKeys = new Set<string>();

  // Sinks, set up once meta is known.
  nf = 0;
  ef = 0;
  nodeRoles: Int8Array = new Int8Array(0);
  edgeRoles: Int8Array = new Int8Array(0);
  nodeLen = 0;
  edgeLen = 0;
  nodeType = new Uint8Array(0);
  nodeName = new Uint32Array(0);
  nodeId = new Uint32Array(0);
  nodeSelf = new Float64Array(0);
  nodeEdgeCount = new Uint32Array(0);
  edgeType = new Uint8Array(0);
  edgeName = new Uint32Array(0);
  edgeTo = new Uint32Array(0);
  edgeToRemainder = false;
  locationRaw: number[] = [];
  strings: string[] = [];
  // ids depth: counts per (type, name index), strings kept only where a count needs them.
  kindByIndex = new Map<number, number>();
  neededStrings: Set<number> | null = null;
  totalBytes = 0;

  constructor(
    readonly file: string,
    readonly depth: ReadDepth,
  ) {}

  fail(what: string): never {
    throw new SnapshotFormatError(what);
  }

  where(): string {
    const inside = this.state === TOP_START || this.state === TOP_KEY || this.state === TOP_AFTER || this.state === TOP_COLON ? '' : ` in "${this.key}"`;
    return `at byte ${this.pos}${inside}`;
  }

  unexpected(byte: number): never {
    const ch = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16)}`;
    this.fail(`${this.meta ? 'corrupt heap snapshot' : 'not a V8 heap snapshot'}: unexpected ${ch} ${this.where()}`);
  }

  feed(buf: Buffer): void {
    const len = buf.length;
    let i = 0;
    const base = this.pos;
    while (i < len) {
      this.pos = base + i;
      switch (this.state) {
        case NUM: {
          // The hot loop: digits, commas and whitespace of the flat arrays.
          let value = this.numValue;
          let digits = this.numDigits;
          for (; i < len; i++) {
            const c = buf[i]!;
            if (c >= 48 && c <= 57) {
              value = value * 10 + (c - 48);
              digits = true;
            } else if (c === 44) {
              if (!digits) {
                this.pos = base + i;
                this.unexpected(c);
              }
              this.numSink(this.numIndex++, value);
              value = 0;
              digits = false;
            } else if (c === 93) {
              if (digits) this.numSink(this.numIndex++, value);
              else if (this.numIndex > 0) {
                this.pos = base + i;
                this.unexpected(c);
              }
              value = 0;
              digits = false;
              this.endArray();
              i++;
              break;
            } else if (c === 32 || c === 10 || c === 13 || c === 9) {
              // whitespace: V8 puts a newline before each node's fields
            } else if (c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
              // A signed or fractional number (never in nodes or edges): text, parsed by Number() when it ends.
              this.numSlow = (digits ? String(value) : '') + String.fromCharCode(c);
              value = 0;
              digits = false;
              this.state = NUM_SLOW;
              i++;
              break;
            } else {
              this.pos = base + i;
              this.unexpected(c);
            }
          }
          this.numValue = value;
          this.numDigits = digits;
          continue;
        }
        case NUM_SLOW: {
          const c = buf[i]!;
          if ((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
            this.numSlow += String.fromCharCode(c);
            i++;
            continue;
          }
          const value = Number(this.numSlow);
          if (!Number.isFinite(value)) this.fail(`not a V8 heap snapshot: bad number "${this.numSlow}" ${this.where()}`);
          this.numValue = value;
          this.numDigits = true;
          this.numSlow = '';
          this.state = NUM;
          continue; // the byte that ended it is read again in NUM
        }
        case STR_IN: {
          const start = i;
          for (; i < len; i++) {
            const c = buf[i]!;
            if (this.strAfterBackslash) {
              this.strAfterBackslash = false;
            } else if (c === 92) {
              this.strAfterBackslash = true;
              this.strEscaped = true;
            } else if (c === 34) {
              break;
            }
          }
          if (i < len) {
            this.strParts.push(buf.subarray(start, i));
            this.endString();
            i++;
            this.state = STR;
          } else {
            this.strParts.push(buf.subarray(start, i));
          }
          continue;
        }
        case RAW: {
          const start = i;
          for (; i < len; i++) {
            const c = buf[i]!;
            if (this.rawInString) {
              if (this.rawEscape) this.rawEscape = false;
              else if (c === 92) this.rawEscape = true;
              else if (c === 34) {
                this.rawInString = false;
                if (this.rawDepth === 0) {
                  i++;
                  break;
                }
              }
            } else if (c === 34) this.rawInString = true;
            else if (c === 123 || c === 91) this.rawDepth++;
            else if (c === 125 || c === 93) {
              if (--this.rawDepth === 0) {
                i++;
                break;
              }
            }
          }
          if (this.rawCapture) this.rawCapture.push(buf.subarray(start, i));
          if (this.rawDepth === 0 && !this.rawInString) this.endRaw();
          continue;
        }
        default: {
          const c = buf[i]!;
          i++;
          if (c === 32 || c === 10 || c === 13 || c === 9) continue;
          this.structural(c);
        }
      }
    }
    this.pos = base + len;
  }

  structural(c: number): void {
    switch (this.state) {
      case TOP_START:
        if (c !== 123) this.fail(`not a V8 heap snapshot: it does not start with '{' (byte ${this.pos})`);
        this.state = TOP_KEY;
        return;
      case TOP_KEY:
        if (c === 34) {
          this.keyBytes = [];
          this.state = IN_KEY;
          // Keys are short: read them byte by byte here.
          return;
        }
        if (c === 125 && this.seenKeys.size === 0) {
          this.state = TOP_DONE;
          return;
        }
        this.unexpected(c);
      case IN_KEY:
        if (c === 34) {
          this.key = Buffer.from(this.keyBytes).toString('utf8');
          this.state = TOP_COLON;
        } else this.keyBytes.push(c);
        return;
      case TOP_COLON:
        if (c !== 58) this.unexpected(c);
        this.state = TOP_VALUE;
        return;
      case TOP_VALUE:
        this.startValue(c);
        return;
      case TOP_AFTER:
        if (c === 44) this.state = TOP_KEY;
        else if (c === 125) this.state = TOP_DONE;
        else this.unexpected(c);
        return;
      case NUM_START:
        if (c !== 91) this.fail(`not a V8 heap snapshot: "${this.key}" is not an array (byte ${this.pos})`);
        this.state = NUM;
        this.numIndex = 0;
        this.numValue = 0;
        this.numDigits = false;
        return;
      case STR_START:
        if (c !== 91) this.fail(`not a V8 heap snapshot: "strings" is not an array (byte ${this.pos})`);
        this.state = STR;
        this.strIndex = 0;
        return;
      case STR:
        if (c === 34) {
          this.strParts = [];
          this.strEscaped = false;
          this.strAfterBackslash = false;
          this.state = STR_IN;
        } else if (c === 44) {
          // between strings
        } else if (c === 93) {
          this.endArray();
        } else this.unexpected(c);
        return;
      case TOP_DONE:
        this.fail(`not a V8 heap snapshot: data after the end ${this.where()}`);
      default:
        this.unexpected(c);
    }
  }

  startValue(c: number): void {
    if (this.seenKeys.has(this.key)) this.fail(`not a V8 heap snapshot: "${this.key}" appears twice`);
    this.seenKeys.add(this.key);
    if (this.key === 'snapshot') {
      if (c !== 123) this.fail('not a V8 heap snapshot: "snapshot" is not an object');
      this.rawCapture = [Buffer.from('{')];
      this.rawDepth = 1;
      this.rawInString = false;
      this.state = RAW;
      return;
    }
    if (NUMERIC_KEYS.has(this.key) || this.key === 'strings') {
      if (!this.meta) this.fail(`not a V8 heap snapshot: no snapshot.meta before "${this.key}"`);
      if (c !== 91) this.fail(`not a V8 heap snapshot: "${this.key}" is not an array (byte ${this.pos})`);
      if (this.key === 'strings') {
        this.state = STR;
        this.strIndex = 0;
      } else {
        this.state = NUM;
        this.numIndex = 0;
        this.numValue = 0;
        this.numDigits = false;
        this.numSink = this.sinkFor(this.key);
      }
      return;
    }
    // Anything else (trace_tree, future keys): skip it, whatever it holds.
    if (c === 123 || c === 91) {
      this.rawCapture = null;
      this.rawDepth = 1;
      this.rawInString = false;
      this.state = RAW;
    } else if (c === 34) {
      // A string value: RAW at depth 0 ends at its closing quote.
      this.rawCapture = null;
      this.rawDepth = 0;
      this.rawInString = true;
      this.state = RAW;
    } else {
      this.fail(`not a V8 heap snapshot: unexpected value for "${this.key}" (byte ${this.pos})`);
    }
  }

  endRaw(): void {
    if (this.rawCapture) {
      let parsed: { meta?: SnapshotMeta; node_count?: number; edge_count?: number };
      try {
        parsed = JSON.parse(Buffer.concat(this.rawCapture).toString('utf8'));
      } catch {
        this.fail('not a V8 heap snapshot: "snapshot" is not valid JSON');
      }
      this.rawCapture = null;
      this.setMeta(parsed);
    }
    this.state = TOP_AFTER;
  }

  setMeta(snapshot: { meta?: SnapshotMeta; node_count?: number; edge_count?: number }): void {
    const meta = snapshot.meta;
    if (!meta || !Array.isArray(meta.node_fields) || !Array.isArray(meta.edge_fields) || !Array.isArray(meta.node_types?.[0]) || !Array.isArray(meta.edge_types?.[0])) {
      this.fail('not a V8 heap snapshot: no snapshot.meta with node and edge fields');
    }
    this.meta = meta;
    this.nf = meta.node_fields.length;
    this.ef = meta.edge_fields.length;
    const need = (fields: string[], names: string[], what: string) => {
      for (const name of names) if (!fields.includes(name)) this.fail(`not a V8 heap snapshot: snapshot.meta.${what} has no "${name}"`);
    };
    need(meta.node_fields, ['type', 'name', 'id', 'self_size', 'edge_count'], 'node_fields');
    need(meta.edge_fields, ['type', 'name_or_index', 'to_node'], 'edge_fields');
    const nodeRole: Record<string, number> = { type: 0, name: 1, id: 2, self_size: 3, edge_count: 4 };
    const edgeRole: Record<string, number> = { type: 0, name_or_index: 1, to_node: 2 };
    this.nodeRoles = Int8Array.from(meta.node_fields, (f) => nodeRole[f] ?? -1);
    this.edgeRoles = Int8Array.from(meta.edge_fields, (f) => edgeRole[f] ?? -1);
    this.nodeCountHint = typeof snapshot.node_count === 'number' ? snapshot.node_count : -1;
    this.edgeCountHint = typeof snapshot.edge_count === 'number' ? snapshot.edge_count : -1;
    this.allocNodes(Math.max(this.nodeCountHint, 1024));
    if (this.depth === 'full') this.allocEdges(Math.max(this.edgeCountHint, 1024));
  }

  allocNodes(n: number): void {
    this.nodeId = grow(this.nodeId, n, (k) => new Uint32Array(k));
    this.nodeType = grow(this.nodeType, n, (k) => new Uint8Array(k));
    this.nodeName = grow(this.nodeName, n, (k) => new Uint32Array(k));
    if (this.depth === 'full') {
      this.nodeSelf = grow(this.nodeSelf, n, (k) => new Float64Array(k));
      this.nodeEdgeCount = grow(this.nodeEdgeCount, n, (k) => new Uint32Array(k));
    }
  }

  allocEdges(n: number): void {
    this.edgeType = grow(this.edgeType, n, (k) => new Uint8Array(k));
    this.edgeName = grow(this.edgeName, n, (k) => new Uint32Array(k));
    this.edgeTo = grow(this.edgeTo, n, (k) => new Uint32Array(k));
  }

  sinkFor(key: string): (index: number, value: number) => void {
    if (key === 'nodes') {
      const nf = this.nf;
      const roles = this.nodeRoles;
      const full = this.depth === 'full';
      return (index, value) => {
        const node = (index / nf) | 0;
        const role = roles[index - node * nf]!;
        if (role < 0) return;
        if (node >= this.nodeId.length) this.allocNodes(this.nodeId.length * 2);
        if (node >= this.nodeLen) this.nodeLen = node + 1;
        switch (role) {
          case 0:
            this.nodeType[node] = value;
            return;
          case 1:
            this.nodeName[node] = value;
            return;
          case 2:
            this.nodeId[node] = value;
            return;
          case 3:
            this.totalBytes += value;
            if (full) this.nodeSelf[node] = value;
            return;
          case 4:
            if (full) this.nodeEdgeCount[node] = value;
            return;
        }
      };
    }
    if (key === 'edges') {
      if (this.depth !== 'full') return () => {};
      const ef = this.ef;
      const nf = this.nf;
      const roles = this.edgeRoles;
      return (index, value) => {
        const edge = (index / ef) | 0;
        const role = roles[index - edge * ef]!;
        if (role < 0) return;
        if (edge >= this.edgeTo.length) this.allocEdges(this.edgeTo.length * 2);
        if (edge >= this.edgeLen) this.edgeLen = edge + 1;
        if (role === 0) this.edgeType[edge] = value;
        else if (role === 1) this.edgeName[edge] = value;
        else {
          // to_node is an offset into the flat nodes array; keep the node's index.
          const to = value / nf;
          if (to !== Math.floor(to)) this.edgeToRemainder = true;
          this.edgeTo[edge] = to;
        }
      };
    }
    if (key === 'locations' && this.depth === 'full') {
      return (_index, value) => {
        this.locationRaw.push(value);
      };
    }
    return () => {};
  }

  endArray(): void {
    if (this.key === 'nodes' && this.numIndex % this.nf !== 0) {
      this.fail(`not a V8 heap snapshot: "nodes" holds ${this.numIndex} numbers, not a multiple of ${this.nf} fields`);
    }
    if (this.key === 'edges' && this.numIndex % this.ef !== 0) {
      this.fail(`not a V8 heap snapshot: "edges" holds ${this.numIndex} numbers, not a multiple of ${this.ef} fields`);
    }
    if (this.key === 'nodes' && this.depth === 'ids') this.countKinds();
    this.state = TOP_AFTER;
  }

  /** ids depth: count nodes per (type, name index) as soon as the nodes are in, and note which strings those names need. */
  countKinds(): void {
    const types = this.meta!.node_types[0];
    const valueType = types.map((t) => VALUE_TYPES.has(t));
    const counts = this.kindByIndex;
    for (let i = 0; i < this.nodeLen; i++) {
      const t = this.nodeType[i]!;
      const key = valueType[t] ? -1 - t : this.nodeName[i]! * 32 + t;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    this.neededStrings = new Set();
    for (const key of counts.keys()) if (key >= 0) this.neededStrings.add(Math.floor(key / 32));
  }

  /** In ids depth, strings no count needs are skipped: they are most of a snapshot's text. */
  endString(): void {
    const index = this.strIndex++;
    if (this.depth === 'ids' && this.neededStrings && !this.neededStrings.has(index)) return;
    const raw = this.strParts.length === 1 ? this.strParts[0]! : Buffer.concat(this.strParts);
    let text = raw.toString('utf8');
    if (this.strEscaped) {
      try {
        text = JSON.parse(`"${text}"`);
      } catch {
        this.fail(`not a V8 heap snapshot: bad string #${index} ${this.where()}`);
      }
    }
    this.strings[index] = text;
    this.strParts = [];
  }
}

async function readStream(file: string, depth: ReadDepth, { onProgress, chunkBytes = 1 << 20 }: Omit<ReadOptions, 'depth'>): Promise<SnapshotIds | HeapSnapshot> {
  let total: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error(`${file}: not a file`);
    total = st.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(error as Error).message}`);
  }
  const t = new Tokenizer(file, depth);
  const stream = createReadStream(file, { highWaterMark: chunkBytes });
  let read = 0;
  try {
    for await (const chunk of stream) {
      t.feed(chunk as Buffer);
      read += (chunk as Buffer).length;
      onProgress?.(read, total);
    }
  } catch (error) {
    stream.destroy();
    if (error instanceof SnapshotFormatError) throw new Error(`${file}: ${error.message}`);
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (t.state !== TOP_DONE) {
    if (t.state === TOP_START) throw new Error(`${file}: not a V8 heap snapshot: the file is empty`);
    throw new Error(`${file}: truncated at byte ${read}${t.state === TOP_KEY || t.state === TOP_AFTER ? '' : ` (inside "${t.key}")`}: the snapshot was cut short, or is still being written`);
  }
  try {
    return depth === 'ids' ? finishIds(t) : finishFull(t);
  } catch (error) {
    if (error instanceof SnapshotFormatError) throw new Error(`${file}: ${error.message}`);
    throw error;
  }
}

function checkCommon(t: Tokenizer): void {
  if (!t.meta) t.fail('not a V8 heap snapshot: no snapshot.meta');
  for (const key of ['nodes', 'strings']) if (!t.seenKeys.has(key)) t.fail(`not a V8 heap snapshot: no "${key}" array`);
  if (t.nodeCountHint >= 0 && t.nodeCountHint !== t.nodeLen) t.fail(`corrupt heap snapshot: snapshot.node_count says ${t.nodeCountHint} nodes, "nodes" holds ${t.nodeLen}`);
  if (t.nodeLen === 0) t.fail('not a V8 heap snapshot: no nodes');
}

function finishIds(t: Tokenizer): SnapshotIds {
  checkCommon(t);
  const types = t.meta!.node_types[0];
  const kinds: KindCounts = new Map();
  for (const [key, count] of t.kindByIndex) {
    if (key < 0) {
      kinds.set(types[-1 - key] ?? 'unknown', count);
    } else {
      const type = types[key % 32] ?? 'unknown';
      kinds.set(kindKey(type, t.strings[Math.floor(key / 32)] ?? ''), count);
    }
  }
  const ids = t.nodeId.slice(0, t.nodeLen).sort();
  return { file: t.file, nodeCount: t.nodeLen, totalBytes: t.totalBytes, ids, kinds };
}

function finishFull(t: Tokenizer): HeapSnapshot {
  checkCommon(t);
  if (!t.seenKeys.has('edges')) t.fail('not a V8 heap snapshot: no "edges" array');
  const n = t.nodeLen;
  const firstEdge = new Uint32Array(n + 1);
  let e = 0;
  for (let i = 0; i < n; i++) {
    firstEdge[i] = e;
    e += t.nodeEdgeCount[i]!;
  }
  firstEdge[n] = e;
  if (e !== t.edgeLen) t.fail(`corrupt heap snapshot: the nodes' edge counts add up to ${e}, "edges" holds ${t.edgeLen}`);
  if (t.edgeToRemainder) t.fail('corrupt heap snapshot: an edge points between nodes');
  const edgeTo = t.edgeTo.subarray(0, t.edgeLen);
  for (let k = 0; k < edgeTo.length; k++) if (edgeTo[k]! >= n) t.fail(`corrupt heap snapshot: edge ${k} points past the last node`);
  const nodeName = t.nodeName.subarray(0, n);
  for (let i = 0; i < n; i++) if (nodeName[i]! >= t.strings.length) t.fail(`corrupt heap snapshot: node ${i}'s name is string #${nodeName[i]}, past the ${t.strings.length} strings`);
  const locations = new Map<number, [number, number, number]>();
  const lf = t.meta!.location_fields ?? ['object_index', 'script_id', 'line', 'column'];
  const [oi, si, li, ci] = ['object_index', 'script_id', 'line', 'column'].map((f) => lf.indexOf(f));
  if (oi! >= 0 && si! >= 0 && li! >= 0 && ci! >= 0) {
    const raw = t.locationRaw;
    for (let k = 0; k + lf.length <= raw.length; k += lf.length) {
      locations.set(raw[k + oi!]! / t.nf, [raw[k + si!]!, raw[k + li!]!, raw[k + ci!]!]);
    }
  }
  return new HeapSnapshot(
    t.file,
    t.meta!,
    n,
    t.nodeType.subarray(0, n),
    nodeName,
    t.nodeId.subarray(0, n),
    t.nodeSelf.subarray(0, n),
    firstEdge,
    t.edgeType.subarray(0, t.edgeLen),
    t.edgeName.subarray(0, t.edgeLen),
    edgeTo,
    t.strings,
    locations,
    t.totalBytes,
  );
}

/** A typed column resized to n, its first values kept. */
function grow<T extends Uint8Array | Uint32Array | Float64Array>(old: T, n: number, make: (n: number) => T): T {
  const next = make(n);
  next.set(old.subarray(0, Math.min(old.length, n)) as never);
  return next;
}
