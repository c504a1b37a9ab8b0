// Bench load for bench/allocation-sites.js: a session cache with expiry (steady: what it keeps is
// bounded, what it allocates is not), run bare, under V8's sampling heap profiler (what --heap
// uses), or with V8's allocation tracking (trackAllocations: every allocation's stack). Prints
// the loop's time and a heap snapshot's time and size as JSON.
import { Session as Inspector } from 'node:inspector';

const mode = process.argv[2] ?? 'bare';
const LOGINS = Number(process.env.LOGINS ?? 300000);
const inspector = new Inspector();
inspector.connect();
const post = (method, params) => {
  let out;
  inspector.post(method, params, (error, result) => {
    if (error) throw error;
    out = result;
  });
  return out;
};
if (mode === 'sampling') post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024 });
if (mode === 'tracking') post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });

class Session {
  constructor(user, now) {
    this.user = user;
    this.expires = now + 1000;
    this.recent = [user, now, { at: now }];
  }
}
const sessions = new Map();
const t0 = performance.now();
for (let now = 0; now < LOGINS; now++) {
  sessions.set(`token-${now}`, new Session(`user${now % 500}`, now));
  if (now % 1000 === 0) for (const [k, s] of sessions) if (s.expires <= now) sessions.delete(k);
}
const workMs = performance.now() - t0;
let bytes = 0;
inspector.on('HeapProfiler.addHeapSnapshotChunk', (m) => (bytes += m.params.chunk.length));
const t1 = performance.now();
post('HeapProfiler.takeHeapSnapshot', {});
const snapshotMs = performance.now() - t1;
// Allocation tracking keeps the process alive (V8 reports heap stats to the session on a timer) until the session goes.
inspector.disconnect();
console.log(JSON.stringify({ mode, workMs, snapshotMs, snapshotBytes: bytes, sessions: sessions.size }));
