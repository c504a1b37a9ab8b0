// What per-test attribution costs: an await-heavy node:test file (a million awaits, 100k
// setImmediate round trips) bare, under `leakprof check` with attribution off
// (LEAKPROF_TEST_ATTRIBUTION=0) and on, alternated within one run so the ratios share the
// machine's noise. Writes bench/results/attribution-cost.json.
//   node bench/attribution-cost.js [--rounds 5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Math.max(1, Number(values.rounds));
const file = 'bench/loads/await-heavy.test.mjs';
const node = process.execPath;
const leakprof = join(root, 'bin/leakprof.js');

const modes = {
  bare: { args: ['--test', file], env: {} },
  'check, attribution off': { args: [leakprof, 'check', '--no-summary', '--', node, '--test', file], env: { LEAKPROF_TEST_ATTRIBUTION: '0' } },
  check: { args: [leakprof, 'check', '--no-summary', '--', node, '--test', file], env: {} },
};

const walls = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, mode] of Object.entries(modes)) {
    const env = { ...process.env, ...mode.env };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    const started = performance.now();
    const { status } = spawnSync(node, mode.args, { cwd: root, env, stdio: 'ignore' });
    walls[name].push(performance.now() - started);
    if (status !== 0) throw new Error(`${name}: exit ${status}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(Object.entries(walls).map(([m, xs]) => [m, { medianMs: Math.round(median(xs)), runsMs: xs.map(Math.round) }]));
const bare = results.bare.medianMs;
for (const r of Object.values(results)) r.ratioToBare = Number((r.medianMs / bare).toFixed(2));
const out = { bench: 'attribution-cost', date: new Date().toISOString(), node: process.version, rounds, file, results };
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, `bench/results/attribution-cost-${process.versions.node.split('.')[0]}.json`), JSON.stringify(out, null, 2) + '\n');
console.log('| mode | median wall | × bare |\n|---|---|---|');
for (const [m, r] of Object.entries(results)) console.log(`| ${m} | ${(r.medianMs / 1000).toFixed(2)} s | ${r.ratioToBare} |`);
