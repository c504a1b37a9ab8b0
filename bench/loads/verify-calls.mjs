// Bench load for the API: LIVE unref'd timers alive (not leaks), then CALLS verifyNone() calls on a
// clean process; prints the mean cost of one call in microseconds.
import { startTracking, verifyNone } from '../../dist/index.js';

startTracking();
const live = Number(process.env.LIVE ?? 0);
const calls = Number(process.env.CALLS ?? 200);
const timers = [];
for (let i = 0; i < live; i++) timers.push(setTimeout(() => {}, 60_000).unref());
await verifyNone();
const t0 = performance.now();
for (let i = 0; i < calls; i++) await verifyNone();
process.stdout.write(JSON.stringify({ live, calls, usPerCall: Math.round(((performance.now() - t0) * 1000) / calls) }));
for (const t of timers) clearTimeout(t);
