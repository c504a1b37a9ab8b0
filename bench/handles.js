// Overhead of `leakprof run` on two loads (an HTTP loopback load and a timer load): bare, leakprof in its
// default mode, leakprof --stacks all, and why-is-node-running, alternated within one run so that the
// ratios are measured under the same machine noise. Writes bench/results/handles.json.
//   node bench/handles.js [--rounds 3] [--nodes 20,24]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { leakprof, median, forEachNode, root, whyPreload as why, loadAverage, machine } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, nodes: { type: 'string', default: '20,24' } } });
const rounds = Number(values.rounds);

const loads = {
  http: { script: join(root, 'bench/loads/http-load.mjs'), env: { REQUESTS: '20000', INFLIGHT: '32' } },
  timer: { script: join(root, 'bench/loads/timer-load.mjs'), env: { TIMERS: '300000' } },
};
const modes = {
  bare: (node, script) => [node, [script]],
  leakprof: (node, script) => [node, [leakprof, 'run', '--no-summary', script]],
  'leakprof --stacks all': (node, script) => [node, [leakprof, 'run', '--no-summary', '--stacks', 'all', script]],
  'why-is-node-running': (node, script) => [node, ['--import', why, script]],
};

function once(node, mode, load) {
  const [file, args] = modes[mode](node, load.script);
  const started = performance.now();
  const out = execFileSync(file, args, { env: { ...process.env, ...load.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
  const wallMs = performance.now() - started;
  const line = out.toString().trim().split('\n').pop();
  return { loadMs: JSON.parse(line).loadMs, wallMs };
}

// The machine is shared: the load average at start and end says how noisy the run was (ratios are within one run either way).
const results = { date: new Date().toISOString(), rounds, machine: machine(), runs: [] };

forEachNode(values.nodes, (node, version) => {
  for (const [loadName, load] of Object.entries(loads)) {
    const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, { loadMs: [], wallMs: [] }]));
    once(node, 'bare', load); // warm the file cache
    for (let r = 0; r < rounds; r++) {
      for (const mode of Object.keys(modes)) {
        const s = once(node, mode, load);
        samples[mode].loadMs.push(s.loadMs);
        samples[mode].wallMs.push(s.wallMs);
      }
    }
    const bare = median(samples.bare.loadMs);
    const bareWall = median(samples.bare.wallMs);
    const row = { node: version, load: loadName, modes: {} };
    const bareMin = Math.min(...samples.bare.loadMs);
    for (const mode of Object.keys(modes)) {
      const loadMs = median(samples[mode].loadMs);
      const wallMs = median(samples[mode].wallMs);
      // The fastest round too: other jobs on a shared machine only ever add time, so minimums are the steadier ratio.
      const minMs = Math.min(...samples[mode].loadMs);
      row.modes[mode] = {
        loadMs: Math.round(loadMs),
        wallMs: Math.round(wallMs),
        ratio: +(loadMs / bare).toFixed(2),
        wallRatio: +(wallMs / bareWall).toFixed(2),
        minLoadMs: Math.round(minMs),
        minRatio: +(minMs / bareMin).toFixed(2),
      };
    }
    results.runs.push(row);
    console.log(`${version} ${loadName.padEnd(5)} ` + Object.entries(row.modes).map(([m, v]) => `${m} ${v.ratio}x (${v.loadMs}ms; min ${v.minRatio}x)`).join(' | '));
  }
});

results.machine.loadavgAtEnd = loadAverage();
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/handles.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('written bench/results/handles.json');
