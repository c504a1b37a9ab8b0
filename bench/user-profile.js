// The cost of a user profile's add/remove (profile() from 'leakprof'), in one run: bare Node
// (no collector: the calls must cost next to nothing) and under `leakprof run` (each add takes a
// lazy stack). Each mode times the same loop with and without add+remove inside one process
// (bench/loads/user-profile-load.mjs); modes alternate for --rounds. Writes bench/results/user-profile.json.
//   node bench/user-profile.js [--rounds 3] [--iterations 200000] [--nodes 20,24]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { leakprof, median, forEachNode, root, loadAverage, machine } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, iterations: { type: 'string', default: '200000' }, nodes: { type: 'string', default: '20,24' } } });
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const load = join(root, 'bench/loads/user-profile-load.mjs');
const modes = {
  bare: (node) => [node, [load]],
  'leakprof run': (node) => [node, [leakprof, 'run', '--no-summary', load]],
};

function once(node, mode) {
  const [file, args] = modes[mode](node);
  const out = execFileSync(file, args, { env: { ...process.env, ITERATIONS: String(iterations), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 300_000 });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

const results = { date: new Date().toISOString(), rounds, iterations, machine: machine(), runs: [] };
forEachNode(values.nodes, (node, version) => {
  const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) for (const mode of Object.keys(modes)) samples[mode].push(once(node, mode));
  const row = { node: version, modes: {} };
  for (const [mode, runs] of Object.entries(samples)) {
    const controlNs = median(runs.map((s) => s.controlNs));
    const profileNs = median(runs.map((s) => s.profileNs));
    row.modes[mode] = { controlNs, profileNs, addRemoveNs: +(profileNs - controlNs).toFixed(1), ratio: +(profileNs / controlNs).toFixed(2) };
  }
  results.runs.push(row);
  console.log(`${version}: ${Object.entries(row.modes).map(([m, r]) => `${m}: loop ${r.controlNs} ns, with add+remove ${r.profileNs} ns (+${r.addRemoveNs} ns, ${r.ratio}x)`).join('; ')}`);
});
results.machine.loadavgAtEnd = loadAverage();
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/user-profile.json'), `${JSON.stringify(results, null, 2)}\n`);
