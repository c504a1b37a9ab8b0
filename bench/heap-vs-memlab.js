// leakprof's heap leak set against memlab's (findLeaksBySnapshotFilePaths) on the same snapshot
// files: three heap shapes (a long chain, a wide Map, an HTTP service's heap) at three sizes each,
// the two tools alternated within one run, each analysis in a child process of its own (wall time
// from spawn to exit, the analysis alone, and the child's peak RSS). Writes bench/results/heap-vs-memlab.json.
//   node bench/heap-vs-memlab.js [--shapes chain,map,mix] [--scale 1] [--rounds 1] [--keep DIR]
// --scale multiplies every size (0.1 for a quick look); --keep DIR writes the snapshots there and keeps them.
// Takes about 15 minutes at scale 1 (most of it memlab on the wide Map, and writing its snapshots).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './lib/compare.js';

const { values } = parseArgs({
  options: { shapes: { type: 'string', default: 'chain,map,mix' }, scale: { type: 'string', default: '1' }, rounds: { type: 'string', default: '1' }, keep: { type: 'string' } },
});
const scale = Number(values.scale);
const rounds = Number(values.rounds);
/** Objects at the last snapshot; the first two are taken at 1/4 and 5/8 of the way. The largest wide Map is about 300 MB. */
const SIZES = { chain: [20_000, 40_000, 80_000], map: [80_000, 160_000, 320_000], mix: [5_000, 10_000, 20_000] };
const shapes = values.shapes.split(',');
for (const s of shapes) if (!SIZES[s]) throw new Error(`unknown shape ${s}: chain, map or mix`);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'leakprof-heap-vs-memlab-'));
mkdirSync(dir, { recursive: true });
const MB = 2 ** 20;

function snapshots(shape, size) {
  const child = spawnSync(process.execPath, [join(root, 'bench/loads/heap-shapes.mjs'), shape, String(size), dir], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 15 * 60_000 });
  if (child.status !== 0) return { failed: `writing the snapshots failed: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { files: JSON.parse(child.stdout) };
}

function analyse(tool, files) {
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(root, 'bench/lib/heap-analyse.mjs'), tool, ...files], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30 * 60_000 });
  const wallMs = Math.round(performance.now() - started);
  if (child.status !== 0) return { wallMs, failed: (child.stderr || child.stdout).trim().split('\n').slice(-3).join(' | ') };
  // memlab writes progress (terminal control codes) even when silenced: the result is the last line.
  const { maxRssKB, ...rest } = JSON.parse(child.stdout.trim().split('\n').at(-1).replace(/^.*?\{/, '{'));
  return { wallMs, peakRssMB: Math.round(maxRssKB / 1024), ...rest };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { date: new Date().toISOString(), node: process.version, machine: { cpus: cpus().length, memGB: Math.round(totalmem() / 2 ** 30) }, scale, rounds, runs: [] };
console.log('shape  size      last snapshot  leakprof wall / RSS     memlab wall / RSS       speed    memory');
for (const shape of shapes) {
  for (const full of SIZES[shape]) {
    const size = Math.max(100, Math.round(full * scale));
    const { files, failed } = snapshots(shape, size);
    if (failed) {
      results.runs.push({ shape, size, failed });
      console.log(`${shape.padEnd(6)} ${String(size).padEnd(9)} ${failed.slice(0, 120)}`);
      continue;
    }
    const runs = { leakprof: [], memlab: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternated: which tool goes first changes every round and every size.
      const order = (r + SIZES[shape].indexOf(full)) % 2 === 0 ? ['leakprof', 'memlab'] : ['memlab', 'leakprof'];
      for (const tool of order) runs[tool].push(analyse(tool, files));
    }
    const sum = (tool) => {
      const ok = runs[tool].filter((x) => !x.failed);
      if (ok.length === 0) return { failed: runs[tool][0]?.failed };
      return { ...ok.at(-1), wallMs: median(ok.map((x) => x.wallMs)), analysisMs: median(ok.map((x) => x.analysisMs)), peakRssMB: median(ok.map((x) => x.peakRssMB)), samples: ok.map((x) => x.wallMs) };
    };
    const row = { shape, size, snapshotsMB: files.map((f) => Math.round(statSync(f).size / MB)), leakprof: sum('leakprof'), memlab: sum('memlab') };
    if (!row.leakprof.failed && !row.memlab.failed) {
      row.speedup = +(row.memlab.wallMs / row.leakprof.wallMs).toFixed(2);
      row.analysisSpeedup = +(row.memlab.analysisMs / row.leakprof.analysisMs).toFixed(2);
      row.memoryRatio = +(row.leakprof.peakRssMB / row.memlab.peakRssMB).toFixed(2);
    }
    results.runs.push(row);
    const cell = (x) => (x.failed ? `failed: ${x.failed.slice(0, 18)}` : `${(x.wallMs / 1000).toFixed(1)} s / ${x.peakRssMB} MB`).padEnd(24);
    console.log(
      `${shape.padEnd(6)} ${String(size).padEnd(9)} ${`${row.snapshotsMB.join('/')} MB`.padEnd(14)} ${cell(row.leakprof)}${cell(row.memlab)}${row.speedup ? `${row.speedup}x`.padEnd(9) : ''.padEnd(9)}${row.memoryRatio ?? ''}`,
    );
    if (!values.keep) for (const f of files) rmSync(f, { force: true });
    save();
  }
}
if (!values.keep) rmSync(dir, { recursive: true, force: true });

/** After every row: a run that fails half way keeps what it measured. */
function save() {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/heap-vs-memlab.json'), `${JSON.stringify(results, null, 2)}\n`);
}
