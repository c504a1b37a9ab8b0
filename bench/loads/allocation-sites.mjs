// Bench load for bench/allocation-sites.js: a session cache with expiry (steady: what it keeps is
// bounded, what it allocates is not), run bare, under V8's sampling heap profiler (what --heap
// uses), or with V8's allocation tracking (trackAllocations: every allocation's stack). Prints
// the loop's time and a heap snapshot's time and size as JSON.
import { Session as Inspector } from 'node:inspector';

const mode = process.argv[2] ?? 'bare';
const LOGINS = Number(process.env.LOGINS ?? 300000);
const inspector = new Inspector();
inspector.connect();
// Node 24 answers a snapshot after post returns; earlier versions before.
const post = (method, params) => new Promise((resolve, reject) => inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
if (mode === 'sampling') await post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024 });
if (mode === 'tracking') await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });

class Session {
  constructor(user, now) {
    this.user = user;
    this.expires = now + 1000;
    this.recent = [user, now, { at: now }];
  }
}
const sessions = new Map();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let now = 0; now < LOGINS; now++) {
  sessions.set(`token-${now}`, new Session(`user${now % 500}`, now));
  if (now % 1000 === 0) for (const [k, s] of sessions) if (s.expires <= now) sessions.delete(k);
}
const workMs = performance.now() - t0;
const { user, system } = process.cpuUsage(cpu0);
const workCpuMs = (user + system) / 1000;
let bytes = 0;
inspector.on('HeapProfiler.addHeapSnapshotChunk', (m) => (bytes += m.params.chunk.length));
const t1 = performance.now();
await post('HeapProfiler.takeHeapSnapshot', {});
const snapshotMs = performance.now() - t1;
// Allocation tracking keeps the process alive (V8 reports heap stats to the session on a timer) until the session goes.
inspector.disconnect();
console.log(JSON.stringify({ mode, workMs, workCpuMs, snapshotMs, snapshotBytes: bytes, sessions: sessions.size }));
