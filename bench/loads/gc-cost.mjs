// Bench load: the cost of the full GC check mode runs before an exit snapshot, on a heap holding
// OBJECTS small objects (pointer-rich, the expensive kind to mark). Prints the median of 5, in ms.
import { forceGc } from '../../dist/collect/force-gc.js';

const n = Number(process.env.OBJECTS ?? 0);
globalThis.kept = Array.from({ length: n }, (_, i) => ({ i, name: `o${i}`, next: null }));
forceGc();
const times = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  forceGc();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const heapMB = Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
process.stdout.write(JSON.stringify({ objects: n, heapMB, gcMs: Number(times[2].toFixed(1)) }));
