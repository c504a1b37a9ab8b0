// leakprof's own cost over a long run: a flat load with many live handles (bench/loads/flat-live.mjs:
// 20k one-hour timers and 200 loopback connections held open, a steady trickle of short timers and
// writes) run bare, under `leakprof run --every 1s`, and under why-is-node-running, all three at
// once so they share the machine's noise. Every minute it reads from /proc the CPU time and RSS of
// the bare load, of leakprof itself (the parent), of the load under leakprof (its collector's cost is
// that process's CPU minus the bare load's) and of the load under why-is-node-running. Flat per-minute
// figures are the goal: a cost that follows what changes, not what is alive or how long it ran.
// Linux only (/proc). Results are merged by label into bench/results/long-run.json.
//   node bench/long-run.js [--minutes 10] [--label after] [--leakprof bin/leakprof.js] [--timers 20000] [--sockets 200]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { leakprof as ownLeakprof, root, whyPreload } from './lib/compare.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    label: { type: 'string', default: 'current' },
    leakprof: { type: 'string', default: ownLeakprof },
    timers: { type: 'string', default: '20000' },
    sockets: { type: 'string', default: '200' },
    every: { type: 'string', default: '1s' },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const leakprofBin = resolve(values.leakprof);
const load = join(root, 'bench/loads/flat-live.mjs');
const env = { ...process.env, MINUTES: String(minutes), TIMERS: values.timers, SOCKETS: values.sockets, NO_COLOR: '1' };
// One sample a minute; a short run (--minutes 1) gets six.
const sampleMs = Math.min(60_000, (minutes * 60_000) / 6);

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs, rssMB: rss ? Math.round(Number(rss[1]) / 1024) : 0 };
  } catch {
    return undefined;
  }
}
function childOf(pid) {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids[0];
  } catch {
    return undefined;
  }
}

const procs = {
  bare: spawn(process.execPath, [load], { env, stdio: 'ignore' }),
  leakprof: spawn(process.execPath, [leakprofBin, 'run', '--every', values.every, '--no-summary', load], { env, stdio: 'ignore' }),
  'why-is-node-running': spawn(process.execPath, ['--import', whyPreload, load], { env, stdio: 'ignore' }),
};
const exits = Object.values(procs).map((p) => new Promise((done) => p.once('exit', done)));

const series = [];
let last;
const started = performance.now();
const sample = () => {
  const leakprofChild = childOf(procs.leakprof.pid);
  const now = {
    bare: stat(procs.bare.pid),
    leakprofParent: stat(procs.leakprof.pid),
    leakprofChild: leakprofChild === undefined ? undefined : stat(leakprofChild),
    why: stat(procs['why-is-node-running'].pid),
  };
  if (last) {
    const row = { minute: +((performance.now() - started) / 60_000).toFixed(2) };
    for (const [name, s] of Object.entries(now)) {
      if (!s || !last[name]) continue;
      row[`${name}CpuMs`] = Math.round(s.cpuMs - last[name].cpuMs);
      row[`${name}RssMB`] = s.rssMB;
    }
    if (row.leakprofChildCpuMs !== undefined && row.bareCpuMs !== undefined) row.collectorCpuMs = row.leakprofChildCpuMs - row.bareCpuMs;
    series.push(row);
    console.log(JSON.stringify(row));
  }
  last = now;
};
await new Promise((r) => setTimeout(r, 2000)); // the loads have started and hold their handles
sample();
const timer = setInterval(sample, sampleMs);
await Promise.all(exits);
clearInterval(timer);

const perMinute = (key) => series.map((r) => r[key]).filter((x) => x !== undefined);
const firstLast = (key) => {
  const xs = perMinute(key);
  return xs.length === 0 ? undefined : { first: xs[0], last: xs[xs.length - 1], max: Math.max(...xs) };
};
const result = {
  date: new Date().toISOString(),
  label: values.label,
  leakprof: leakprofBin,
  node: process.version,
  minutes,
  every: values.every,
  load: { timers: Number(values.timers), sockets: Number(values.sockets) },
  machine: { cpus: cpus().length, loadavgAtStart: undefined, loadavgAtEnd: loadavg().map((x) => +x.toFixed(2)) },
  sampleMs,
  series,
  summary: {
    leakprofParentCpuMs: firstLast('leakprofParentCpuMs'),
    leakprofParentRssMB: firstLast('leakprofParentRssMB'),
    collectorCpuMs: firstLast('collectorCpuMs'),
    leakprofChildRssMB: firstLast('leakprofChildRssMB'),
    bareCpuMs: firstLast('bareCpuMs'),
    bareRssMB: firstLast('bareRssMB'),
    whyCpuMs: firstLast('whyCpuMs'),
    whyRssMB: firstLast('whyRssMB'),
  },
};
delete result.machine.loadavgAtStart;
const out = join(root, 'bench/results/long-run.json');
mkdirSync(join(root, 'bench/results'), { recursive: true });
const all = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { runs: {} };
all.runs[values.label] = result;
writeFileSync(out, `${JSON.stringify(all, null, 2)}\n`);
console.log(JSON.stringify(result.summary));
