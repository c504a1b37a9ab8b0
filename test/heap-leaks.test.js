// The heap leak set (memlab's three snapshots) on real snapshots of a real child: the channelz-style
// registry fixture registers connections and never removes them; its fixed twin removes them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHeapLeaks } from '../dist/index.js';
import { readSnapshot, readSnapshotIds } from '../dist/analyse/heap/snapshot-reader.js';
import { computeDominators, NO_DOMINATOR } from '../dist/analyse/heap/dominators.js';
import { capPath, foldRepeats, MAX_PATH_STEPS } from '../dist/analyse/heap/retainer-paths.js';
import { renderPath } from '../dist/report/heap-text.js';
import { leakprofCli, markerLine, ROOT } from './helpers/leakprof.js';

/** Connections per round: small snapshots (about 5 MB), still a group that stands out. */
const PER_ROUND = 300;
const DRIVER = join(ROOT, 'test', 'helpers', 'heap-driver.mjs');
const dir = mkdtempSync(join(tmpdir(), 'leakprof-heap-'));

/** Runs a fixture's rounds in a child that writes three snapshots between them; returns their paths. */
function snapshotsOf(fixture) {
  const out = join(dir, fixture.replaceAll('/', '_'));
  spawnSync('mkdir', ['-p', out]);
  const child = spawnSync(process.execPath, [DRIVER, join(ROOT, fixture), out, String(PER_ROUND)], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(child.status, 0, `driver failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

const describePath = (g) => g.retainerPath.map((s) => `${s.edgeType}:${s.edge} ${s.node}`).join(' → ');

describe('heap leak set', { concurrency: true }, () => {
  let leaky;
  let fixed;
  before(() => {
    leaky = snapshotsOf('fixtures/registry/leaky.mjs');
    fixed = snapshotsOf('fixtures/registry/fixed.mjs');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('leaky registry: the entries registered between snapshots 1 and 2, growing, held by the registry Map', async () => {
    const { code, stdout, stderr } = await leakprofCli(['heap', '--json', ...leaky.map((s) => s.file)]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.snapshots.length, 3);
    assert.ok(report.snapshots.every((s) => s.nodes > 1000 && s.bytes > 0 && existsSync(s.file)));
    const entries = report.groups.filter((g) => g.name === 'ChannelEntry');
    assert.equal(entries.length, 1, report.groups.map((g) => `${g.count} @ ${g.name}`).join('\n'));
    const g = entries[0];
    assert.equal(g.nodeType, 'object');
    assert.equal(g.count, PER_ROUND, 'exactly the entries registered between the first and the second snapshot');
    assert.equal(report.groups[0].name, 'ChannelEntry', 'the largest group');
    // Each round adds PER_ROUND entries: warm-up round, snapshot, round, snapshot, round, snapshot.
    assert.deepEqual(g.countsBySnapshot, [PER_ROUND, 2 * PER_ROUND, 3 * PER_ROUND]);
    assert.ok(g.selfBytes >= PER_ROUND * 16);
    assert.ok(g.retainedBytes > g.selfBytes, 'an entry also holds its subchannels and trace');
    assert.equal(g.examples.length, 5);
    // Who holds them: the module's `registry`, its `channels` Map, then the entry.
    const path = describePath(g);
    assert.equal(g.retainerPath[0].node, '(GC roots)', path);
    assert.ok(g.retainerPath.some((s) => s.node === '(module scope) fixtures/registry/leaky.mjs'), path);
    assert.ok(g.retainerPath.some((s) => s.edge === 'registry' && s.node === 'Registry'), path);
    const map = g.retainerPath.findIndex((s) => s.edge === 'channels' && s.node === 'Map');
    assert.ok(map > 0, `goes through the registry's Map: ${path}`);
    assert.equal(g.retainerPath.at(-1).node, 'ChannelEntry');
    // The class's code: its constructor in registry.mjs (V8 records an object's constructor location).
    assert.deepEqual([g.location.file, g.location.line], ['fixtures/registry/registry.mjs', markerLine('fixtures/registry/registry.mjs', 'ENTRY')]);
    // The subchannels are held only through leaked entries: counted in their retained size, not a group.
    assert.equal(report.groups.find((x) => x.name === 'SubchannelEntry'), undefined);
  });

  test('the path shown is one where most of the group is held: 300 Labels in a Map, one of them also in a global, read as held by the Map', async () => {
    const files = snapshotsOf('fixtures/heap-path/one-also-global.mjs');
    const { code, stdout, stderr } = await leakprofCli(['heap', '--json', ...files.map((s) => s.file)]);
    assert.equal(code, 0, stderr);
    const g = JSON.parse(stdout).groups.find((x) => x.name === 'Label');
    assert.ok(g, stdout);
    assert.equal(g.count, PER_ROUND);
    const path = describePath(g);
    // The global is the shorter path (the one a member closest to a root has), and it holds one Label.
    assert.ok(!g.retainerPath.some((s) => s.edge === 'watchedLabel'), path);
    assert.ok(g.retainerPath.some((s) => s.edge === 'cache' && s.node === 'LabelCache'), path);
    assert.ok(g.retainerPath.some((s) => s.edge === 'byName' && s.node === 'Map'), path);
    assert.equal(g.retainerPath.at(-1).node, 'Label');
  });

  test('leaky registry: the text report reads like a pprof group with its retainer path', async () => {
    const { code, stdout } = await leakprofCli(['heap', '--top', '3', ...leaky.map((s) => s.file)]);
    assert.equal(code, 0);
    assert.match(stdout, /^heap leak set: \d+ objects, .* new after 1-baseline\.heapsnapshot and still alive at 3-final\.heapsnapshot$/m);
    assert.match(stdout, new RegExp(`^${PER_ROUND} @ ChannelEntry object .* own, .* retained \\(${PER_ROUND} → ${2 * PER_ROUND} → ${3 * PER_ROUND} across the 3 snapshots\\)$`, 'm'));
    assert.match(stdout, /^#\theld by: \(GC roots\) → \(module scope\) fixtures\/registry\/leaky\.mjs → registry: Registry → \.channels: Map → ChannelEntry$/m);
    assert.match(stdout, /^#\te\.g\. @\d+ @\d+/m);
  });

  test('fixed registry: no entry group', async () => {
    const report = await findHeapLeaks(fixed);
    const names = report.groups.map((g) => `${g.count} @ ${g.name} ${g.countsBySnapshot.join('→')}`).join('\n');
    assert.equal(report.groups.find((g) => g.name === 'ChannelEntry' || g.name === 'SubchannelEntry'), undefined, names);
    // Nothing per connection survives: what is left is a few objects of the driver's own.
    assert.ok(report.total < PER_ROUND / 10, `${report.total} objects in the fixed twin's leak set:\n${names}`);
    assert.ok(report.groups.every((g) => !g.retainerPath.some((s) => s.node.includes('fixtures/registry'))), names);
    assert.equal(report.snapshots[2].label, '3-final');
  });

  test('keepFiles: false removes the snapshots it read', async () => {
    const copies = leaky.map((s, i) => {
      const file = join(dir, `copy-${i}.heapsnapshot`);
      copyFileSync(s.file, file);
      return { ...s, file };
    });
    const report = await findHeapLeaks(copies, { keepFiles: false, top: 1 });
    assert.deepEqual(report.snapshots.map((s) => s.file), [null, null, null]);
    assert.ok(copies.every((s) => !existsSync(s.file)));
    assert.equal(report.groups.length, 1);
    assert.equal(report.groups[0].name, 'ChannelEntry');
  });

  test('a truncated, corrupt or foreign snapshot: one line on stderr, exit 2', async () => {
    const whole = readFileSync(leaky[2].file);
    const cases = {
      truncated: [whole.subarray(0, Math.floor(whole.length / 2)), /^leakprof: .*truncated\.heapsnapshot: truncated at byte \d+ \(inside "\w+"\)/],
      corrupt: [Buffer.concat([whole.subarray(0, whole.indexOf('"edges":[') + 100), Buffer.from('x'), whole.subarray(whole.indexOf('"edges":[') + 101)]), /^leakprof: .*corrupt\.heapsnapshot: corrupt heap snapshot: unexpected 'x' at byte \d+ in "edges"/],
      foreign: [Buffer.from('{"nodes":[1,2,3]}'), /^leakprof: .*foreign\.heapsnapshot: not a V8 heap snapshot: no snapshot\.meta/],
    };
    for (const [name, [bytes, message]] of Object.entries(cases)) {
      const file = join(dir, `${name}.heapsnapshot`);
      writeFileSync(file, bytes);
      const { code, stdout, stderr } = await leakprofCli(['heap', leaky[0].file, leaky[1].file, file]);
      assert.equal(code, 2, `${name}: ${stderr}`);
      assert.equal(stdout, '');
      assert.equal(stderr.trim().split('\n').length, 1, `${name}: one line, got:\n${stderr}`);
      assert.match(stderr, message);
    }
    const missing = await leakprofCli(['heap', leaky[0].file, leaky[1].file, join(dir, 'nope.heapsnapshot')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^leakprof: heap snapshot not found: .*nope\.heapsnapshot/);
    const two = await leakprofCli(['heap', leaky[0].file, leaky[1].file]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /needs three snapshots/);
  });

  test('the streaming reader agrees with JSON.parse on a small snapshot', async () => {
    const file = leaky[0].file;
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const meta = json.snapshot.meta;
    const nf = meta.node_fields.length;
    const ef = meta.edge_fields.length;
    let progressCalls = 0;
    const snap = await readSnapshot(file, { onProgress: () => progressCalls++ });
    assert.ok(progressCalls >= 1);
    assert.equal(snap.nodeCount, json.nodes.length / nf);
    assert.equal(snap.edgeCount, json.edges.length / ef);
    assert.equal(snap.nodeCount, json.snapshot.node_count);
    assert.equal(snap.strings.length, json.strings.length);
    const at = { id: meta.node_fields.indexOf('id'), name: meta.node_fields.indexOf('name'), self: meta.node_fields.indexOf('self_size'), type: meta.node_fields.indexOf('type') };
    for (let i = 0; i < snap.nodeCount; i += 97) {
      assert.equal(snap.nodeId[i], json.nodes[i * nf + at.id]);
      assert.equal(snap.nameOf(i), json.strings[json.nodes[i * nf + at.name]]);
      assert.equal(snap.nodeSelfSize[i], json.nodes[i * nf + at.self]);
      assert.equal(snap.typeOf(i), meta.node_types[0][json.nodes[i * nf + at.type]]);
    }
    const to = meta.edge_fields.indexOf('to_node');
    for (let e = 0; e < snap.edgeCount; e += 101) assert.equal(snap.edgeTo[e], json.edges[e * ef + to] / nf);
    const ids = await readSnapshotIds(file);
    assert.equal(ids.nodeCount, snap.nodeCount);
    assert.equal(ids.ids.length, snap.nodeCount);
    assert.equal(ids.totalBytes, snap.totalBytes);
  });
});

describe('snapshot reader on a hand-made snapshot', () => {
  // Fields in another order than V8's, an extra field, escaped and non-ASCII strings, signed and
  // fractional samples and a nested trace_tree, read 1 to 13 bytes at a time: every token is cut somewhere.
  const snapshot = {
    snapshot: {
      meta: {
        node_fields: ['id', 'edge_count', 'name', 'extra', 'self_size', 'type'],
        node_types: [['hidden', 'object', 'synthetic'], 'string', 'number', 'number', 'number'],
        edge_fields: ['to_node', 'type', 'name_or_index'],
        edge_types: [['context', 'element', 'property', 'internal', 'weak'], 'string_or_number', 'node'],
        location_fields: ['object_index', 'script_id', 'line', 'column'],
      },
      node_count: 3,
      edge_count: 3,
    },
    nodes: [1, 2, 0, 7, 0, 2, 3, 1, 1, 7, 4294967296, 1, 5, 0, 2, 7, 24, 1],
    edges: [6, 2, 3, 12, 1, 12, 12, 4, 4],
    trace_function_infos: [],
    trace_tree: [1, 0, 0, 0, [2, 1, 0, 0, []]],
    samples: [-1.5, 2e3, 12],
    locations: [6, 3, 9, 4],
    strings: ['', 'Entr\u00e9e "quoted"\n\\', 'Map\u{1f600}', 'table', 'gone'],
  };
  const file = join(tmpdir(), `leakprof-handmade-${process.pid}.heapsnapshot`);
  before(() => writeFileSync(file, JSON.stringify(snapshot)));
  after(() => rmSync(file, { force: true }));

  test('every chunk size gives the same graph, in the order meta declares', async () => {
    for (const chunkBytes of [1, 2, 3, 5, 7, 13, 1 << 20]) {
      const snap = await readSnapshot(file, { chunkBytes });
      assert.equal(snap.nodeCount, 3, `chunk ${chunkBytes}`);
      assert.deepEqual([...snap.nodeId], [1, 3, 5]);
      assert.deepEqual([0, 1, 2].map((i) => snap.typeOf(i)), ['synthetic', 'object', 'object']);
      assert.deepEqual([0, 1, 2].map((i) => snap.nameOf(i)), ['', 'Entr\u00e9e "quoted"\n\\', 'Map\u{1f600}']);
      assert.deepEqual([...snap.nodeSelfSize], [0, 4294967296, 24], 'a self size past 32 bits survives');
      assert.deepEqual([...snap.firstEdge], [0, 2, 3, 3]);
      assert.deepEqual([...snap.edgeTo], [1, 2, 2], 'to_node offsets become node indexes');
      assert.deepEqual([0, 1, 2].map((e) => `${snap.edgeTypeOf(e)}:${snap.edgeNameOf(e)}`), ['property:table', 'element:12', 'weak:gone']);
      assert.deepEqual(snap.locations.get(1), [3, 9, 4]);
      assert.deepEqual(snap.retainersOf(2).map((r) => r.from), [0, 1]);
      const ids = await readSnapshotIds(file, { chunkBytes });
      assert.deepEqual([...ids.ids], [1, 3, 5]);
      assert.equal(ids.kinds.get('object\0Map\u{1f600}'), 1);
      assert.equal(ids.totalBytes, 4294967296 + 24);
    }
  });
});

// Chains: a linked list that grows, and listeners piling up on one AbortSignal (Node keeps an
// EventTarget's listeners as a linked list). The group counts every leaked member of the chain,
// says which edge links it, and the path from a GC root tells the chain's steps once, with a count.
describe('heap leak set of chains', { concurrency: true }, () => {
  const CHAIN = 2000;
  const chainDir = mkdtempSync(join(tmpdir(), 'leakprof-heap-chain-'));
  const snapshots = (fixture) => {
    const out = join(chainDir, fixture.replaceAll('/', '_'));
    spawnSync('mkdir', ['-p', out]);
    const child = spawnSync(process.execPath, [DRIVER, join(ROOT, fixture), out, String(CHAIN)], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(child.status, 0, `driver failed: ${child.stderr}`);
    return JSON.parse(child.stdout).map((s) => s.file);
  };
  let files;
  before(() => {
    files = Object.fromEntries(['heap-chain/leaky', 'heap-chain/fixed', 'listeners-on-signal/leaky', 'listeners-on-signal/fixed'].map((f) => [f, snapshots(`fixtures/${f}.mjs`)]));
  });
  after(() => rmSync(chainDir, { recursive: true, force: true }));

  test('leaky linked list: every node of the chain counted, linked through .next, the path folded', async () => {
    const { code, stdout, stderr } = await leakprofCli(['heap', '--json', ...files['heap-chain/leaky']]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    const g = report.groups[0];
    assert.equal(g?.name, 'HistoryNode', report.groups.map((x) => `${x.count} @ ${x.name}`).join('\n'));
    assert.equal(g.count, CHAIN, 'each node appended between the first and the second snapshot, not just the chain head');
    assert.deepEqual(g.chain, { edge: 'next' });
    assert.equal(g.collection, undefined);
    assert.deepEqual(g.countsBySnapshot, [CHAIN, 2 * CHAIN, 3 * CHAIN]);
    assert.ok(g.retainedBytes > g.selfBytes, 'the nodes hold their jobs');
    assert.equal(g.examples.length, 5);
    // (GC roots) → (module scope) → history → .head → .next ×(CHAIN - 1) → the first leaked node.
    const path = describePath(g);
    assert.ok(g.retainerPath.length <= 14, path);
    assert.ok(g.retainerPath.some((s) => s.edge === 'history' && s.node === 'Object'), path);
    assert.ok(g.retainerPath.some((s) => s.node === '(module scope) fixtures/heap-chain/leaky.mjs'), path);
    const run = g.retainerPath.find((s) => s.repeat !== undefined);
    assert.deepEqual([run?.edge, run?.node, run?.repeat], ['next', 'HistoryNode', CHAIN - 1], path);
    assert.deepEqual([g.location.file, g.location.line], ['fixtures/heap-chain/leaky.mjs', markerLine('fixtures/heap-chain/leaky.mjs', 'NODE')]);

    const text = await leakprofCli(['heap', '--top', '1', ...files['heap-chain/leaky']]);
    assert.match(text.stdout, new RegExp(`^${CHAIN.toLocaleString('en-US')} @ HistoryNode object in a chain through \\.next .* own, .* retained`, 'm'));
    const held = text.stdout.split('\n').find((l) => l.startsWith('#\theld by: '));
    assert.match(held, new RegExp(`→ history: Object → \\.head: HistoryNode → \\.next: HistoryNode ×${(CHAIN - 1).toLocaleString('en-US')} → \\.next: HistoryNode$`));
    assert.ok(held.length < 300, `one short line: ${held.length} characters`);
  });

  test('listeners on one AbortSignal: every listener counted, held by the signal, the path folded', async () => {
    const report = await findHeapLeaks(files['listeners-on-signal/leaky'].map((file) => ({ file, label: file })));
    const g = report.groups.find((x) => x.name === 'Listener');
    assert.ok(g, report.groups.map((x) => `${x.count} @ ${x.name}`).join('\n'));
    assert.equal(g, report.groups[0], 'the largest group');
    assert.equal(g.count, CHAIN);
    assert.deepEqual(g.chain, { edge: 'next' });
    assert.ok(g.retainedBytes > g.selfBytes, 'each listener holds its closure and its request');
    const path = describePath(g);
    assert.ok(g.retainerPath.length <= 14, path);
    assert.ok(g.retainerPath.some((s) => s.node === '(module scope) fixtures/listeners-on-signal/leaky.mjs'), path);
    // The holder: the module's `shutdown` controller, then its signal.
    const holder = g.retainerPath.findIndex((s) => s.edge === 'shutdown' && s.node === 'AbortController');
    assert.ok(holder > 0, path);
    assert.match(g.retainerPath[holder + 1].node, /^(AbortSignal|EventTarget)$/, path);
    const run = g.retainerPath.find((s) => s.repeat !== undefined);
    assert.equal(run?.edge, 'next', path);
    assert.equal(run.node, 'Listener', path);
    assert.ok(run.repeat >= CHAIN - 1, path);
    assert.equal(g.retainerPath.at(-1).node, 'Listener');
  });

  test('fixed twins: no chain group', async () => {
    for (const fixture of ['heap-chain/fixed', 'listeners-on-signal/fixed']) {
      const report = await findHeapLeaks(files[fixture].map((file) => ({ file, label: file })));
      const names = report.groups.map((x) => `${x.count} @ ${x.name}`).join('\n');
      assert.equal(report.groups.find((x) => x.name === 'HistoryNode' || x.name === 'Listener' || x.chain), undefined, `${fixture}:\n${names}`);
      assert.ok(report.total < CHAIN / 10, `${fixture}: ${report.total} objects in the leak set:\n${names}`);
    }
  });
});

/** A snapshot file of a graph given as edges [from, to, type?] between nodes named by index, each of self size 1. */
function writeGraph(file, count, edges) {
  const out = Array.from({ length: count }, () => []);
  for (const [from, to, type = 'property'] of edges) out[from].push([to, type]);
  const nodes = [];
  const flat = [];
  for (let i = 0; i < count; i++) {
    nodes.push(i === 0 ? 2 : 1, 0, i + 1, 1, out[i].length);
    for (const [to, type] of out[i]) flat.push(['property', 'weak'].indexOf(type), 1, to * 5);
  }
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
    node_types: [['hidden', 'object', 'synthetic'], 'string', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [['property', 'weak'], 'string_or_number', 'node'],
  };
  writeFileSync(file, JSON.stringify({ snapshot: { meta, node_count: count, edge_count: flat.length / 3 }, nodes, edges: flat, strings: ['', 'x'] }));
}

describe('dominators', () => {
  const file = join(tmpdir(), `leakprof-dominators-${process.pid}.heapsnapshot`);
  after(() => rmSync(file, { force: true }));

  test("Lengauer and Tarjan's example flowgraph, with a weak edge that must not count", async () => {
    const names = 'RABCDEFGHIJKL';
    const at = (c) => names.indexOf(c);
    const edges = 'RA RB RC AD BA BD BE CF CG DL EH FI GI GJ HE HK IK JI KI KR LH'.split(' ').map(([a, b]) => [at(a), at(b)]);
    edges.push([at('R'), at('L'), 'weak']);
    writeGraph(file, names.length, edges);
    const doms = computeDominators(await readSnapshot(file));
    const idom = [...names].map((c, i) => `${c}:${names[doms.idom[i]]}`).join(' ');
    assert.equal(idom, 'R:R A:R B:R C:R D:R E:R F:C G:C H:R I:R J:G K:R L:D');
    assert.deepEqual([...'RCDG'].map((c) => doms.retained[at(c)]), [13, 4, 2, 2]);
    assert.equal(doms.preorder.length, names.length);
    assert.equal(doms.preorder[0], 0);
    const seen = new Set();
    for (const node of doms.preorder) {
      assert.ok(node === 0 || seen.has(doms.idom[node]), 'a node comes after its dominator');
      seen.add(node);
    }
  });

  test('a chain 200,000 deep with edges back to the root: each link dominates the rest, no recursion', async () => {
    const n = 200_000;
    const edges = [];
    for (let i = 0; i + 1 < n; i++) edges.push([i, i + 1]);
    for (let i = 1; i < n; i += 1000) edges.push([i, 0]);
    edges.push([0, n - 1, 'weak']);
    writeGraph(file, n, edges);
    const doms = computeDominators(await readSnapshot(file));
    for (let i = 1; i < n; i += 997) assert.equal(doms.idom[i], i - 1);
    assert.equal(doms.retained[1], n - 1);
    assert.equal(doms.retained[0], n);
  });

  test('an unreached node has no dominator', async () => {
    writeGraph(file, 3, [[0, 1], [2, 1]]);
    const doms = computeDominators(await readSnapshot(file));
    assert.deepEqual([...doms.idom], [0, 0, NO_DOMINATOR]);
    assert.deepEqual([...doms.retained], [2, 1, 0]);
  });
});

describe('retainer path folding', () => {
  const step = (edge, node, edgeType = 'property') => ({ edge, edgeType, node, nodeType: 'object', id: 1 });

  test('repeated steps and repeated pairs are told once with a count; the last step stays apart', () => {
    const steps = [step('', '(GC roots)', ''), step('list', 'List'), ...Array.from({ length: 10 }, () => step('next', 'Node')), step('a', 'P'), step('b', 'Q'), step('a', 'P'), step('b', 'Q'), step('a', 'P'), step('b', 'Q'), step('next', 'Node'), step('next', 'Node')];
    const folded = foldRepeats(steps);
    assert.equal(renderPath(folded), '(GC roots) → .list: List → .next: Node ×10 → (.a: P → .b: Q) ×3 → .next: Node → .next: Node');
    assert.equal(renderPath(foldRepeats(steps.slice(0, 4))), '(GC roots) → .list: List → .next: Node → .next: Node');
  });

  test('a long path keeps both ends and says how many steps it left out', () => {
    const steps = Array.from({ length: 40 }, (_, i) => step(`p${i}`, `N${i}`));
    const capped = capPath(foldRepeats(steps));
    assert.equal(capped.length, MAX_PATH_STEPS);
    assert.equal(capped[0].node, 'N0');
    assert.equal(capped.at(-1).node, 'N39');
    const gap = capped.find((s) => s.edgeType === 'omitted');
    assert.equal(gap.omitted, 40 - (MAX_PATH_STEPS - 1));
    assert.match(renderPath(capped), /\.p4: N4 → … 27 more steps … → \.p32: N32 → /);
  });
});
