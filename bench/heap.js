// Cost of `run --heap`: the heap profile alone (V8's sampling heap profiler, --heap-snapshots none)
// on an allocation-heavy load, and the whole of --heap (profile, three heap snapshots, the leak set
// read back) on the built-in compressor/aggregator load, against bare Node and plain leakprof, modes
// alternated within one run. Writes bench/results/heap.json.
//   node bench/heap.js [--rounds 3] [--nodes 20,24]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareOn, forEachNode, leakprof, root } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, nodes: { type: 'string', default: '20,24' } } });
const workload = join(root, 'dist/workload/main.js');

const loads = {
  // The built-in load, paced for 5 s: what the process spent (CPU), the fair measure of a paced load.
  workload: {
    unit: 'process CPU ms',
    // The fixed variant: it exits by itself when the load ends (the leaky one is kept alive by its timer).
    args: ['--enable-source-maps', workload, '--variant', 'fixed', '--duration', '5s', '--series', '5000', '--churn', '2000'],
    env: {},
    metric: (j) => j.cpuMs,
  },
};
const run = (node, load, ...flags) => [node, [leakprof, 'run', '--no-summary', ...flags, '--', node, ...load.args]];
const modes = {
  bare: (node, load) => [node, load.args],
  leakprof: (node, load) => run(node, load),
  'leakprof --heap (profile only)': (node, load) => run(node, load, '--heap', '--heap-snapshots', 'none'),
};

// Wall time of the whole --heap pipeline on the leaky variant (ended by --timeout 7s, which it needs:
// its timer keeps it alive): checkpoints at 1.5 s and 3 s, a last snapshot when it is ended, and the
// leak set read back by the parent, against the same run without --heap.
function pipeline(node) {
  const leaky = loads.workload.args.map((a) => (a === 'fixed' ? 'leaky' : a));
  const time = (flags) => {
    const started = performance.now();
    try {
      execFileSync(node, [leakprof, 'run', '--no-summary', '--timeout', '7s', ...flags, '--', node, ...leaky], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    } catch (error) {
      if (error.status !== 124) throw error;
    }
    return Math.round(performance.now() - started);
  };
  const plain = time([]);
  const heap = time(['--heap', '--heap-snapshots', '1500ms,3s']);
  return { plainWallMs: plain, heapWallMs: heap, extraMs: heap - plain };
}

const results = { date: new Date().toISOString(), rounds: Number(values.rounds), machine: { cpus: cpus().length }, runs: [] };
forEachNode(values.nodes, (node, version) => {
  compareOn(node, version, { loads, modes, results });
  const p = pipeline(node);
  results.runs.push({ node: version, load: 'workload --heap pipeline (wall ms)', ...p });
  console.log(`${version} --heap pipeline: ${p.plainWallMs} ms without, ${p.heapWallMs} ms with (+${p.extraMs} ms for 3 snapshots and the leak set)`);
});
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/heap.json'), `${JSON.stringify(results, null, 2)}\n`);
