// What naming the allocating line costs. V8 gives only the allocating *function* (its start), by
// two means: the sampling heap profiler (`--heap` runs it already) and allocation tracking
// (`trackAllocations`: every allocation's stack in the snapshot). Their cost on a workload that
// allocates all the time (bench/loads/allocation-sites.mjs: 300,000 logins into an expiring session
// cache), bare vs sampling vs tracking, alternated in one run, medians and ratios to bare (wall
// and CPU time of the loop); and the
// cost of leakprof's source join (analyse/heap/allocation-site.ts) in the parent, cold and warm.
// JSON in bench/results/allocation-sites-<node major>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.ROUNDS ?? 5);
const modes = ['bare', 'sampling', 'tracking'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const runs = Object.fromEntries(modes.map((m) => [m, []]));
for (let i = 0; i < rounds; i++) {
  for (const mode of modes) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [`${root}bench/loads/allocation-sites.mjs`, mode], { encoding: 'utf8' });
    const wallMs = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${mode} exited ${r.status}: ${r.stderr}`);
    runs[mode].push({ ...JSON.parse(r.stdout), wallMs });
  }
}
const row = (mode) => {
  const of = (k) => median(runs[mode].map((x) => x[k]));
  const bare = (k) => median(runs.bare.map((x) => x[k]));
  return {
    mode,
    workMs: Math.round(of('workMs')),
    workCpuMs: Math.round(of('workCpuMs')),
    wallMs: Math.round(of('wallMs')),
    snapshotMs: Math.round(of('snapshotMs')),
    snapshotMB: Math.round(of('snapshotBytes') / 1e5) / 10,
    workRatio: Math.round((of('workMs') / bare('workMs')) * 100) / 100,
    // CPU time is what the machine's load moves least (this machine is shared): the ratio to trust.
    workCpuRatio: Math.round((of('workCpuMs') / bare('workCpuMs')) * 100) / 100,
    snapshotRatio: Math.round((of('snapshotMs') / bare('snapshotMs')) * 100) / 100,
  };
};
const results = modes.map(row);
for (const r of results) console.log(`${r.mode}: work ${r.workMs} ms (${r.workRatio}x), CPU ${r.workCpuMs} ms (${r.workCpuRatio}x), snapshot ${r.snapshotMs} ms (${r.snapshotRatio}x), ${r.snapshotMB} MB`);

// The source join, in this process: the first call reads and indexes the file, later ones reuse it.
const { allocationSite } = await import(`${root}dist/analyse/heap/allocation-site.js`);
const holder = { variable: 'sessions', file: 'fixtures/growth/session-cache.mjs' };
const t0 = performance.now();
const site = allocationSite({ name: 'Session', nodeType: 'object' }, holder, [], root);
const coldMs = performance.now() - t0;
const t1 = performance.now();
for (let i = 0; i < 1000; i++) allocationSite({ name: 'Session', nodeType: 'object' }, holder, [], root);
const warmUs = ((performance.now() - t1) / 1000) * 1000;
const join = { site: `${site.function} at ${site.file}:${site.line}`, coldMs: Math.round(coldMs * 100) / 100, warmUs: Math.round(warmUs * 10) / 10 };
console.log(`source join: ${join.site}, cold ${join.coldMs} ms, warm ${join.warmUs} µs`);

const major = process.versions.node.split('.')[0];
mkdirSync(`${root}bench/results`, { recursive: true });
const file = `${root}bench/results/allocation-sites-${major}.json`;
writeFileSync(file, `${JSON.stringify({ node: process.version, rounds, date: new Date().toISOString(), loadavg: loadavg().map((x) => Math.round(x * 10) / 10), results, samples: runs, sourceJoin: join }, null, 2)}\n`);
console.log(`wrote ${file}`);
