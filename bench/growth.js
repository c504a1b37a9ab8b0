// What the heap-growth verdict and --heap cost a workload: wall time of two clean loads, bare vs
// `run` vs `check --max-heap-growth` (samples after forced GCs, within a fifth of the process's
// CPU) vs `run --heap` (checkpoints at 1 s, 2 s and exit) vs `check --heap` (checkpoints on
// growth), alternated in one run, medians, ratios to bare. Loads: an HTTP server and its client
// in one process (4000 requests, each with an AsyncLocalStorage store; fixtures/growth's fixed
// twin) and a CPU-bound loop that fills a pool then reuses it. JSON in bench/results/growth-<node major>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/leakprof.js`;
const rounds = Number(process.env.ROUNDS ?? 3);
const loads = [
  { name: 'http-4000-requests', script: `${root}fixtures/growth/als-timer-per-request.mjs`, args: ['--fixed'], units: 4000 },
  { name: 'pool-6000-rounds', script: `${root}fixtures/growth/buffer-pool.mjs`, args: [], units: 6000 },
];
const variants = {
  bare: (l) => [l.script, ...l.args],
  run: (l) => [bin, 'run', '--', process.execPath, l.script, ...l.args],
  'check --max-heap-growth 5MB': (l) => [bin, 'check', '--max-heap-growth', '5MB', '--', process.execPath, l.script, ...l.args],
  'run --heap': (l) => [bin, 'run', '--heap', '--', process.execPath, l.script, ...l.args],
  'check --heap': (l) => [bin, 'check', '--heap', '--max-heap-growth', '5MB', '--', process.execPath, l.script, ...l.args],
};

function wall(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
for (const load of loads) {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) for (const [name, argv] of Object.entries(variants)) times[name].push(wall(argv(load)));
  const bare = median(times.bare);
  const row = { load: load.name, rounds, medianMs: {}, ratioToBare: {}, unitsPerSecond: {} };
  for (const [name, ms] of Object.entries(times)) {
    const m = median(ms);
    row.medianMs[name] = Math.round(m);
    row.ratioToBare[name] = Math.round((m / bare) * 100) / 100;
    row.unitsPerSecond[name] = Math.round((load.units * 1000) / m);
  }
  results.push(row);
  console.log(`${load.name}: ${Object.entries(row.medianMs).map(([k, v]) => `${k} ${v} ms (${row.ratioToBare[k]}x)`).join(', ')}`);
}

const major = process.versions.node.split('.')[0];
mkdirSync(`${root}bench/results`, { recursive: true });
const file = `${root}bench/results/growth-${major}.json`;
const loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10);
writeFileSync(file, `${JSON.stringify({ node: process.version, rounds, date: new Date().toISOString(), loadavg, results }, null, 2)}\n`);
console.log(`wrote ${file}`);
