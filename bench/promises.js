// Overhead of promise tracking (`run --promises`): bare Node, leakprof without and with
// --promises, and why-is-node-running, on a promise-heavy micro load (a chain of a million
// awaits and 100 fans of 1000) and on the built-in compressor/aggregator load (5 s, paced,
// so it compares the CPU the process spent). Writes bench/results/promises.json.
//   node bench/promises.js [--rounds 3] [--nodes 20,24]
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareOn, forEachNode, leakprof, root, whyPreload } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, nodes: { type: 'string', default: '20,24' } } });
const workload = join(root, 'dist/workload/main.js');

const loads = {
  awaits: { unit: 'load ms', args: [join(root, 'bench/loads/await-load.mjs')], env: { AWAITS: '1000000' }, metric: (j) => j.loadMs },
  workload: {
    unit: 'process CPU ms',
    args: ['--enable-source-maps', workload, '--variant', 'fixed', '--duration', '5s', '--series', '5000', '--http'],
    env: {},
    metric: (j) => j.cpuMs,
  },
};
const modes = {
  bare: (node, load) => [node, load.args],
  leakprof: (node, load) => [node, [leakprof, 'run', '--no-summary', '--', node, ...load.args]],
  'leakprof --promises': (node, load) => [node, [leakprof, 'run', '--no-summary', '--promises', '--', node, ...load.args]],
  'why-is-node-running': (node, load) => [node, ['--import', whyPreload, ...load.args]],
};

const results = { date: new Date().toISOString(), rounds: Number(values.rounds), machine: { cpus: cpus().length }, runs: [] };
forEachNode(values.nodes, (node, version) => {
  compareOn(node, version, { loads, modes, results });
});
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/promises.json'), `${JSON.stringify(results, null, 2)}\n`);
