// Promise tracking on the shapes of issue 13's budget: a million awaits, a `.then` tail-recursion
// loop over setImmediate, Promise.all fan-out, a `fetch().then(() => loop())` poll loop (each
// parking PARKED calls on promises nothing settles, with a `.then` on each, while it runs), and
// the built-in workload. Modes alternate round by round: bare, the floors (bare with empty V8
// promise hooks: what --promises installs, and what Node 20 installs for any async hook), leakprof
// (default), leakprof --promises, why-is-node-running, and with --before another build's two
// leakprof modes; medians and ratios to bare. For each shape, the async
// profile of the --promises run is checked against the truth: the estimate of the parked group
// (at the load's PARKED line), its error, the interval leakprof gave, and whatever else it listed.
//   node bench/promise-shapes.js [--rounds 3] [--nodes 20] [--out bench/results/promise-shapes.json] [--label after] [--leakprof other/bin/leakprof.js] [--before before/bin/leakprof.js]
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { forEachNode, leakprof as leakprofBin, median, root, whyPreload } from './lib/compare.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '20' },
    out: { type: 'string', default: join(root, 'bench/results/promise-shapes.json') },
    label: { type: 'string', default: 'current' },
    shapes: { type: 'string', default: 'awaits,then-loop,fan,poll,workload' },
    // Another build's bin/leakprof.js (a checkout of the commit before), on the same loads.
    leakprof: { type: 'string', default: leakprofBin },
    // A build of the commit before, run as two more modes in the same rounds: before and after in one run.
    before: { type: 'string' },
  },
});
const leakprof = values.leakprof;
const shapeLoad = join(root, 'bench/loads/promise-shapes.mjs');
const parkedLine = readFileSync(shapeLoad, 'utf8').split('\n').findIndex((l) => l.includes('// PARKED')) + 1;
const workload = join(root, 'dist/workload/main.js');

// CPU time, not wall time: on a shared machine (load average 20-30 while this was written) wall time measures the neighbours.
const shape = (name, size) => ({ unit: 'load CPU ms', args: [shapeLoad], env: { SHAPE: name, SIZE: String(size) }, metric: (j) => j.cpuMs, wall: (j) => j.loadMs, parked: true });
const loads = {
  awaits: shape('awaits', 1_000_000),
  'then-loop': shape('then-loop', 10_000),
  fan: shape('fan', 100),
  poll: shape('poll', 300_000),
  workload: {
    unit: 'process CPU ms',
    args: ['--enable-source-maps', workload, '--variant', 'fixed', '--duration', '5s', '--series', '5000', '--http'],
    env: {},
    metric: (j) => j.cpuMs,
  },
};
const report = join(tmpdir(), `leakprof-promise-shapes-${process.pid}.json`);
const emptyHooks = pathToFileURL(join(root, 'bench/lib/empty-promise-hooks.mjs')).href;
// The floors: bare with V8's promise hooks installed and empty (bench/lib/empty-promise-hooks.mjs).
const floor = (hooks) => ({ command: (node, load) => [node, ['--import', emptyHooks, ...load.args]], env: { LEAKPROF_BENCH_HOOKS: hooks } });
const modes = {
  bare: (node, load) => [node, load.args],
  'floor --promises (empty init, settled)': floor('init,settled'),
  'floor default on Node 20 (empty before, after)': floor('before,after'),
  'floor --promises on Node 20 (empty init, settled, before, after)': floor('init,settled,before,after'),
  leakprof: (node, load) => [node, [leakprof, 'run', '--no-summary', '--', node, ...load.args]],
  'leakprof --promises': (node, load) => [node, [leakprof, 'run', '--no-summary', '--promises', '-o', report, '--', node, ...load.args]],
  'why-is-node-running': (node, load) => [node, ['--import', whyPreload, ...load.args]],
};
if (values.before) {
  modes['before: leakprof'] = (node, load) => [node, [values.before, 'run', '--no-summary', '--', node, ...load.args]];
  modes['before: leakprof --promises'] = (node, load) => [node, [values.before, 'run', '--no-summary', '--promises', '-o', report, '--', node, ...load.args]];
}

function runOnce([file, args], env) {
  const out = execFileSync(file, args, { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 1_800_000, maxBuffer: 1 << 26 });
  const text = out.toString().trim();
  return JSON.parse(text.slice(text.search(/^\{/m)));
}

/** The async profile of the last --promises run, against the PARKED calls the load made. */
function accuracy(parked) {
  if (!existsSync(report)) return undefined;
  const json = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report, { force: true });
  const proc = json.processes.find((p) => String(p.argv[1] ?? '').endsWith('promise-shapes.mjs'));
  const groups = proc?.profiles.find((p) => p.name === 'async')?.groups ?? [];
  const atParked = groups.filter((g) => g.top?.file?.endsWith('promise-shapes.mjs') && g.top.line === parkedLine);
  const others = groups.filter((g) => !atParked.includes(g) && !g.internal && g.count > 1);
  const estimate = atParked.reduce((n, g) => n + g.count, 0);
  const margin = atParked.length === 1 ? atParked[0].margin : undefined;
  return {
    parked,
    estimate,
    errorPct: Number((((estimate - parked) / parked) * 100).toFixed(1)),
    marginPct: margin === undefined ? undefined : Number(((margin / Math.max(1, estimate)) * 100).toFixed(1)),
    estimated: atParked.some((g) => g.estimated === true),
    parkedGroups: atParked.length,
    otherGroups: others.map((g) => `${g.count} @ ${g.label} ${g.top ? `${g.top.file.split('/').pop()}:${g.top.line}` : '?'}`),
  };
}

const results = existsSync(values.out) ? JSON.parse(readFileSync(values.out, 'utf8')) : { runs: [] };
const run = { label: values.label, date: new Date().toISOString(), rounds: Number(values.rounds), machine: { cpus: cpus().length, loadavg: loadavg()[0] }, rows: [] };
forEachNode(values.nodes, (node, version) => {
  for (const name of values.shapes.split(',')) {
    const load = loads[name];
    const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    const wall = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    const checks = [];
    for (let r = 0; r < run.rounds; r++) {
      for (const [mode, how] of Object.entries(modes)) {
        const { command, env } = typeof how === 'function' ? { command: how, env: {} } : how;
        let json;
        try {
          json = runOnce(command(node, load), { ...load.env, ...env });
        } catch (error) {
          // One failed run (the built-in workload's HTTP load can fail on a starved machine) is said, not fatal.
          console.error(`${name} ${mode}: run failed (${String(error.message).split('\n')[0]})`);
          continue;
        }
        samples[mode].push(Number(load.metric(json).toFixed(1)));
        if (load.wall) wall[mode].push(Number(load.wall(json).toFixed(1)));
        if (mode === 'leakprof --promises' && load.parked) checks.push(accuracy(1000));
        else rmSync(report, { force: true });
      }
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, median(xs)]));
    const ratios = Object.fromEntries(Object.entries(medians).map(([m, v]) => [m, Number((v / medians.bare).toFixed(2))]));
    const row = { node: version, load: name, unit: load.unit, samples, medians, ratios };
    if (load.wall) {
      const wallMedians = Object.fromEntries(Object.entries(wall).map(([m, xs]) => [m, median(xs)]));
      row.wallMs = { samples: wall, medians: wallMedians, ratios: Object.fromEntries(Object.entries(wallMedians).map(([m, v]) => [m, Number((v / wallMedians.bare).toFixed(2))])) };
    }
    if (checks.length > 0) row.accuracy = checks;
    run.rows.push(row);
    const acc = checks.length > 0 ? ` | parked 1000, --promises estimates ${checks.map((c) => `${c.estimate}${c.marginPct !== undefined ? `±${c.marginPct}%` : ''} (${c.errorPct}%, ${c.parkedGroups} group${c.parkedGroups === 1 ? '' : 's'}${c.otherGroups.length ? `, others: ${c.otherGroups.join('; ')}` : ''})`).join(', ')}` : '';
    const wallSaid = row.wallMs ? ` (wall: ${Object.entries(row.wallMs.ratios).map(([m, x]) => `${m} ${x}x`).join(', ')})` : '';
    console.log(`${version} ${name} (${load.unit}): ${Object.entries(ratios).map(([m, x]) => `${m} ${x}x`).join(', ')}${wallSaid}${acc}`);
  }
});
results.runs = results.runs.filter((r) => r.label !== values.label);
results.runs.push(run);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
