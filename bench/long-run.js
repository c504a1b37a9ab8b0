// leakprof's own cost over a long run: a flat load with many live handles (bench/loads/flat-live.mjs:
// 20k one-hour timers and 200 loopback connections held open, a steady trickle of short timers and
// writes) run bare, under `leakprof run --every 1s`, and under why-is-node-running, all at once so
// they share the machine's noise (with --baseline, also under another build of leakprof: before and
// after in one run). Every minute it reads from /proc the CPU time and RSS of the bare load, of each
// leakprof (the parent), of the load under it (its collector's cost is that process's CPU minus the
// bare load's) and of the load under why-is-node-running, and counts the periodic reports each
// leakprof printed. Flat per-minute figures are the goal: a cost that follows what changes, not what
// is alive or how long it ran. Linux only (/proc). Merged by label into bench/results/long-run.json.
//   node bench/long-run.js [--minutes 10] [--label after] [--baseline /tmp/main/bin/leakprof.js] [--timers 20000] [--sockets 200]
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
    baseline: { type: 'string' },
    timers: { type: 'string', default: '20000' },
    sockets: { type: 'string', default: '200' },
    every: { type: 'string', default: '1s' },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
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
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)[0];
  } catch {
    return undefined;
  }
}

/** `leakprof run --every`, its periodic reports counted from its stderr ("still running" closes each). */
function underLeakprof(bin) {
  const child = spawn(process.execPath, [resolve(bin), 'run', '--every', values.every, '--no-summary', load], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.reports = 0;
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    const text = tail + chunk;
    child.reports += text.split('the workload is still running').length - 1;
    tail = text.slice(-40);
  });
  return child;
}

const procs = {
  bare: spawn(process.execPath, [load], { env, stdio: 'ignore' }),
  leakprof: underLeakprof(values.leakprof),
  why: spawn(process.execPath, ['--import', whyPreload, load], { env, stdio: 'ignore' }),
};
if (values.baseline) procs.baseline = underLeakprof(values.baseline);
const exits = Object.values(procs).map((p) => new Promise((done) => p.once('exit', done)));
let ended = false;
void procs.bare.once('exit', () => (ended = true));

const series = [];
let last;
const started = performance.now();
const sample = () => {
  const now = { bare: stat(procs.bare.pid), why: stat(procs.why.pid) };
  const reports = {};
  for (const name of ['leakprof', 'baseline']) {
    if (!procs[name]) continue;
    now[`${name}Parent`] = stat(procs[name].pid);
    const kid = childOf(procs[name].pid);
    now[`${name}Child`] = kid === undefined ? undefined : stat(kid);
    reports[name] = procs[name].reports;
  }
  if (last) {
    const row = { minute: +((performance.now() - started) / 60_000).toFixed(2) };
    // After the loads ended: what is left is the exit reports, not the steady cost.
    if (ended) row.afterEnd = true;
    for (const [name, s] of Object.entries(now)) {
      if (!s || !last.stats[name]) continue;
      row[`${name}CpuMs`] = Math.round(s.cpuMs - last.stats[name].cpuMs);
      row[`${name}RssMB`] = s.rssMB;
    }
    for (const name of Object.keys(reports)) {
      row[`${name}Reports`] = reports[name] - last.reports[name];
      if (row[`${name}ChildCpuMs`] !== undefined && row.bareCpuMs !== undefined) row[`${name}CollectorCpuMs`] = row[`${name}ChildCpuMs`] - row.bareCpuMs;
    }
    series.push(row);
    console.log(JSON.stringify(row));
  }
  last = { stats: now, reports };
};
await new Promise((r) => setTimeout(r, 2000)); // the loads have started and hold their handles
sample();
const timer = setInterval(sample, sampleMs);
await Promise.all(exits);
clearInterval(timer);

const steady = series.filter((r) => !r.afterEnd);
const firstLast = (key) => {
  const xs = steady.map((r) => r[key]).filter((x) => x !== undefined);
  return xs.length === 0 ? undefined : { first: xs[0], last: xs[xs.length - 1], min: Math.min(...xs), max: Math.max(...xs) };
};
const summary = {};
for (const key of Object.keys(series[0] ?? {})) if (key !== 'minute' && key !== 'afterEnd') summary[key] = firstLast(key);
const result = {
  date: new Date().toISOString(),
  label: values.label,
  leakprof: resolve(values.leakprof),
  ...(values.baseline ? { baseline: resolve(values.baseline) } : {}),
  node: process.version,
  minutes,
  every: values.every,
  load: { timers: Number(values.timers), sockets: Number(values.sockets) },
  machine: { cpus: cpus().length, loadavgAtEnd: loadavg().map((x) => +x.toFixed(2)) },
  sampleMs,
  series,
  summary,
};
const out = join(root, 'bench/results/long-run.json');
mkdirSync(join(root, 'bench/results'), { recursive: true });
const all = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { runs: {} };
all.runs[values.label] = result;
writeFileSync(out, `${JSON.stringify(all, null, 2)}\n`);
console.log(JSON.stringify(summary));
