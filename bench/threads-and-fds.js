// What threads and descriptors cost under leakprof: a worker's startup time and memory (20
// workers started one after another, each to its first message; RSS per worker once all run),
// and the fds profile's hot path (100k openSync/closeSync pairs, 5k read streams), each bare,
// under `leakprof run`, under `leakprof run --no-fds` and under why-is-node-running (main thread
// only: it does not reach workers), alternated within one run so the ratios share the machine's
// noise. Writes bench/results/threads-and-fds.json.
//   node bench/threads-and-fds.js [--rounds 5]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { leakprof, median, root, whyPreload as why, loadAverage, machine } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Math.max(1, Number(values.rounds));
const node = process.execPath;

const loads = {
  workers: { script: join(root, 'bench/loads/workers.mjs'), env: { WORKERS: '20' }, fields: ['startupMedianMs', 'rssPerWorkerBytes'] },
  fds: { script: join(root, 'bench/loads/fd-churn.mjs'), env: { OPENS: '100000', STREAMS: '5000' }, fields: ['openMs', 'streamMs'] },
};
const modes = {
  bare: (script) => [script],
  leakprof: (script) => [leakprof, 'run', '--no-summary', script],
  'leakprof --no-fds': (script) => [leakprof, 'run', '--no-summary', '--no-fds', script],
  'why-is-node-running': (script) => ['--import', why, script],
};

function once(mode, load) {
  const env = { ...process.env, ...load.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const out = execFileSync(node, modes[mode](load.script), { cwd: root, env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 300_000 });
  const wallMs = performance.now() - started;
  return { ...JSON.parse(out.toString().trim().split('\n').pop()), wallMs };
}

const results = { bench: 'threads-and-fds', date: new Date().toISOString(), node: process.version, rounds, machine: machine(), loads: {} };
for (const [name, load] of Object.entries(loads)) {
  const runs = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let i = 0; i < rounds; i++) for (const mode of Object.keys(modes)) runs[mode].push(once(mode, load));
  const summary = {};
  for (const [mode, list] of Object.entries(runs)) {
    summary[mode] = {};
    for (const field of [...load.fields, 'wallMs']) summary[mode][field] = Math.round(median(list.map((r) => r[field])) * 10) / 10;
  }
  for (const mode of Object.keys(modes)) {
    summary[mode].ratioToBare = Object.fromEntries([...load.fields, 'wallMs'].map((f) => [f, +(summary[mode][f] / summary.bare[f]).toFixed(2)]));
  }
  results.loads[name] = { env: load.env, summary };
}
results.machine.loadavgAtEnd = loadAverage();
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/threads-and-fds.json'), JSON.stringify(results, null, 2) + '\n');
for (const [name, { summary }] of Object.entries(results.loads)) {
  const fields = Object.keys(summary.bare).filter((f) => f !== 'ratioToBare');
  console.log(`\n${name}\n| mode | ${fields.join(' | ')} |\n|---|${fields.map(() => '---').join('|')}|`);
  for (const [mode, s] of Object.entries(summary)) console.log(`| ${mode} | ${fields.map((f) => `${s[f]} (${s.ratioToBare[f]}x)`).join(' | ')} |`);
}
