// `leakprof check` costs: wall time of a workload that keeps 0 / 200 MB until it exits, bare vs
// `leakprof run` vs `leakprof check` (whose exit snapshot follows a full GC), alternated in one
// run, medians; and the cost of one verifyNone() call on a clean process with 0 / 1000 / 10000
// live unref'd timers; and the exit GC's own cost on an object-heavy heap. JSON in bench/results/check-<node major>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/leakprof.js`;
const load = `${root}bench/loads/retained-heap.mjs`;
const rounds = Number(process.env.ROUNDS ?? 5);

function wall(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const heap = [];
for (const mb of [0, 200]) {
  const env = { RETAIN_MB: String(mb) };
  const times = { bare: [], run: [], check: [] };
  for (let i = 0; i < rounds; i++) {
    times.bare.push(wall([load], env));
    times.run.push(wall([bin, 'run', load], env));
    times.check.push(wall([bin, 'check', load], env));
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))]));
  heap.push({ retainedMB: mb, medianMs: m, checkMinusRunMs: m.check - m.run });
  console.log(`retained ${mb} MB: bare ${m.bare} ms, run ${m.run} ms, check ${m.check} ms (check - run: ${m.check - m.run} ms)`);
}

const verify = [];
for (const live of [0, 1000, 10000]) {
  const r = spawnSync(process.execPath, [`${root}bench/loads/verify-calls.mjs`], { env: { ...process.env, LIVE: String(live), CALLS: live > 1000 ? '50' : '200' }, encoding: 'utf8' });
  const out = JSON.parse(r.stdout);
  verify.push(out);
  console.log(`verifyNone() with ${live} live unref'd timers: ${out.usPerCall} µs per call`);
}

const gc = [];
for (const objects of [0, 1_000_000, 4_000_000]) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', `${root}bench/loads/gc-cost.mjs`], { env: { ...process.env, OBJECTS: String(objects) }, encoding: 'utf8' });
  const out = JSON.parse(r.stdout);
  gc.push(out);
  console.log(`exit GC with ${objects} small objects (${out.heapMB} MB heap): ${out.gcMs} ms`);
}

const major = process.versions.node.split('.')[0];
mkdirSync(`${root}bench/results`, { recursive: true });
const file = `${root}bench/results/check-${major}.json`;
writeFileSync(file, `${JSON.stringify({ node: process.version, rounds, date: new Date().toISOString(), heap, verify, gc }, null, 2)}\n`);
console.log(`wrote ${file}`);
