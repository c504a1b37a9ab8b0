// What the live endpoint costs (issue 16), all modes in one run so the ratios share the machine's noise:
//  - idle: CPU ticks a process spends doing nothing for IDLE_S seconds, bare / with the endpoint /
//    under why-is-node-running (its preload): the endpoint does no work between requests;
//  - setup: the time to make 10k handles, bare / endpoint (its collector) / why-is-node-running;
//  - scrape: one look at a process holding 10k handles — wall time, the process's own CPU, and bytes —
//    for /debug/pprof/handles (gzipped proto), ?debug=1 (text), /debug/leakprof/report (JSON), next to
//    why-is-node-running's SIGUSR1 dump of the same process (its CPU and the bytes it prints).
// Writes bench/results/live-endpoint.json.   node bench/live-endpoint.js [--rounds 5] [--handles 10000] [--idle 10]
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { median, root, whyPreload, loadAverage, machine } from './lib/compare.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, handles: { type: 'string', default: '10000' }, idle: { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);
const IDLE_S = Number(values.idle);
const LOAD = join(root, 'bench/loads/live-handles.mjs');
const REGISTER = pathToFileURL(join(root, 'dist/check/register.js')).href;
const TICK_MS = 10; // USER_HZ = 100 on Linux

const modes = {
  bare: [],
  endpoint: ['--import', REGISTER],
  'why-is-node-running': ['--import', whyPreload],
};

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function start(mode) {
  const env = { ...process.env, HANDLES: values.handles, NODE_OPTIONS: '' };
  if (mode === 'endpoint') env.LEAKPROF_HTTP = '127.0.0.1:0';
  const child = spawn(process.execPath, [...modes[mode], LOAD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const info = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      const endpoint = /pprof endpoint at (\S+)\/debug/.exec(err);
      if (line && (mode !== 'endpoint' || endpoint)) resolve({ ...JSON.parse(line), endpoint: endpoint?.[1] });
    });
    child.stderr.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      const endpoint = /pprof endpoint at (\S+)\/debug/.exec(err);
      if (line && endpoint) resolve({ ...JSON.parse(line), endpoint: endpoint[1] });
    });
    child.on('exit', (code) => reject(new Error(`${mode} exited ${code}: ${err}`)));
  });
  return { child, info, stderr: () => err };
}

async function stop(proc) {
  proc.child.removeAllListeners('exit');
  proc.child.kill('SIGKILL');
  await new Promise((r) => proc.child.once('close', r));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function scrape(url, pid) {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  const wallMs = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return { wallMs, cpuMs: cpuMs(pid) - cpu0, bytes: body.length };
}

async function whyDump(proc) {
  const before = proc.stderr().length;
  const cpu0 = cpuMs(proc.info.pid);
  const t0 = performance.now();
  proc.child.kill('SIGUSR1');
  // Done when stderr has been quiet for 300 ms (its dump is synchronous console.error calls).
  let last = proc.stderr().length;
  let quietSince = performance.now();
  for (;;) {
    await sleep(50);
    const now = proc.stderr().length;
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    } else if (now > before && performance.now() - quietSince > 300) break;
    if (performance.now() - t0 > 120_000) break;
  }
  return { wallMs: quietSince - t0, cpuMs: cpuMs(proc.info.pid) - cpu0, bytes: proc.stderr().length - before };
}

const results = {
  date: new Date().toISOString(),
  node: process.version,
  rounds,
  handles: Number(values.handles),
  idleSeconds: IDLE_S,
  machine: machine(),
  idleCpuMs: {},
  setupMs: {},
  scrape: {},
};
const samples = { idle: {}, setup: {}, scrape: {} };
for (const m of Object.keys(modes)) {
  samples.idle[m] = [];
  samples.setup[m] = [];
}
const kinds = { 'pprof (debug=0)': '/debug/pprof/handles', 'text (debug=1)': '/debug/pprof/handles?debug=1', 'report JSON': '/debug/leakprof/report', 'why-is-node-running SIGUSR1': null };
for (const k of Object.keys(kinds)) samples.scrape[k] = { wallMs: [], cpuMs: [], bytes: [] };

for (let r = 0; r < rounds; r++) {
  // Idle: all three modes side by side over the same seconds.
  const procs = {};
  for (const m of Object.keys(modes)) procs[m] = await start(m);
  for (const [m, p] of Object.entries(procs)) samples.setup[m].push(p.info.setupMs);
  await sleep(1000);
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([m, p]) => [m, cpuMs(p.info.pid)]));
  await sleep(IDLE_S * 1000);
  for (const [m, p] of Object.entries(procs)) samples.idle[m].push(cpuMs(p.info.pid) - cpu0[m]);
  // Scrapes of the endpoint's process (a first one warms it), then why-is-node-running's dump.
  const ep = procs.endpoint;
  await scrape(`${ep.info.endpoint}/debug/pprof/handles`, ep.info.pid);
  for (const [k, path] of Object.entries(kinds)) {
    const s = path ? await scrape(`${ep.info.endpoint}${path}`, ep.info.pid) : await whyDump(procs['why-is-node-running']);
    for (const f of ['wallMs', 'cpuMs', 'bytes']) samples.scrape[k][f].push(s[f]);
  }
  for (const p of Object.values(procs)) await stop(p);
  console.error(`round ${r + 1}/${rounds} done`);
}

for (const m of Object.keys(modes)) {
  results.idleCpuMs[m] = { median: median(samples.idle[m]), samples: samples.idle[m] };
  results.setupMs[m] = { median: median(samples.setup[m]), ratio: +(median(samples.setup[m]) / median(samples.setup.bare)).toFixed(2), samples: samples.setup[m] };
}
const whyCpu = median(samples.scrape['why-is-node-running SIGUSR1'].cpuMs);
for (const [k, s] of Object.entries(samples.scrape)) {
  results.scrape[k] = {
    wallMs: Math.round(median(s.wallMs)),
    cpuMs: median(s.cpuMs),
    bytes: median(s.bytes),
    cpuVsWhy: whyCpu > 0 ? +(median(s.cpuMs) / whyCpu).toFixed(3) : null,
    samples: s,
  };
}
results.machine.loadavgAtEnd = loadAverage();
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/live-endpoint.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`idle CPU over ${IDLE_S}s (ms): ` + Object.entries(results.idleCpuMs).map(([m, v]) => `${m} ${v.median}`).join(' | '));
console.log(`making ${values.handles} handles (ms): ` + Object.entries(results.setupMs).map(([m, v]) => `${m} ${v.median} (${v.ratio}x)`).join(' | '));
for (const [k, v] of Object.entries(results.scrape)) console.log(`${k.padEnd(28)} ${v.wallMs} ms wall, ${v.cpuMs} ms CPU, ${v.bytes} bytes`);
