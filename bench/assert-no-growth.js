// What assertNoGrowth(fn, { iterations: 30 }) adds to a test: its time against calling fn the
// same number of times bare, each in a fresh process (a test file's first call: a cold JIT),
// modes alternated in one run for --rounds, medians. Four functions: a small request handler, a
// render making 5,000 objects of garbage per call and a cache bounded at 50 entries that fills
// during the first 50 calls (clean: the trend test alone, or snapshots when the heap rose; they
// must never throw), and a session cache that never evicts (leaky: three heap snapshots and the
// leak set before it throws; it must always throw). Writes bench/results/assert-no-growth.json.
//   node bench/assert-no-growth.js [--rounds 5] [--iterations 30] [--nodes 20,24]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { median, nodeBinary, root } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, iterations: { type: 'string', default: '30' }, nodes: { type: 'string', default: '20,24' } } });
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const load = join(root, 'bench/loads/no-growth-load.mjs');
const shapes = ['handler', 'render', 'lru', 'leaky'];

function once(node, env) {
  const out = execFileSync(node, [load], { cwd: root, env: { ...process.env, ITERATIONS: String(iterations), ...env }, stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

const results = { date: new Date().toISOString(), rounds, iterations, machine: { cpus: os.cpus().length, loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)) }, runs: [] };
for (const major of values.nodes.split(',')) {
  const node = nodeBinary(major);
  if (!node) {
    console.error(`Node ${major}: not found (install it with .ci/run); skipped`);
    continue;
  }
  const version = execFileSync(node, ['--version']).toString().trim();
  const samples = Object.fromEntries(shapes.map((s) => [s, { assert: [], bare: [], snapshots: 0, threw: 0, calls: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const shape of shapes) {
      const a = once(node, { SHAPE: shape, MODE: 'assert' });
      const b = once(node, { SHAPE: shape, MODE: 'bare', CALLS: String(a.calls) });
      const s = samples[shape];
      s.assert.push(a.ms);
      s.bare.push(b.ms);
      s.calls.push(a.calls);
      if (a.snapshots) s.snapshots++;
      if (a.threw) s.threw++;
    }
  }
  const row = { node: version, shapes: {} };
  for (const [shape, s] of Object.entries(samples)) {
    const assertMs = median(s.assert);
    const bareMs = median(s.bare);
    row.shapes[shape] = {
      assertMs: +assertMs.toFixed(1),
      bareMs: +bareMs.toFixed(2),
      addedMs: +(assertMs - bareMs).toFixed(1),
      ratio: +(assertMs / bareMs).toFixed(1),
      calls: median(s.calls),
      snapshotsTaken: `${s.snapshots}/${rounds}`,
      threw: `${s.threw}/${rounds}`,
    };
  }
  results.runs.push(row);
  for (const [shape, r] of Object.entries(row.shapes)) {
    console.log(`${version} ${shape}: assertNoGrowth ${r.assertMs} ms vs ${r.calls} bare calls ${r.bareMs} ms (+${r.addedMs} ms, ${r.ratio}x); snapshots ${r.snapshotsTaken}, threw ${r.threw}`);
  }
}
results.machine.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/assert-no-growth.json'), `${JSON.stringify(results, null, 2)}\n`);
