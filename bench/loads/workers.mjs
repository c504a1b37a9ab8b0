// What a worker thread costs: starts WORKERS workers one after another, each until its first
// message (its script ran: under leakprof, after the collector's preload), then holds them all
// alive and reads the process's RSS; prints one JSON line to stdout and ends them.
import { Worker } from 'node:worker_threads';

const count = Number(process.env.WORKERS ?? 20);
const rssBefore = process.memoryUsage().rss;
const startups = [];
const workers = [];
for (let i = 0; i < count; i++) {
  const started = performance.now();
  const worker = new Worker(new URL('./worker-idle.mjs', import.meta.url));
  await new Promise((resolve) => worker.once('message', resolve));
  startups.push(performance.now() - started);
  workers.push(worker);
}
const rssAll = process.memoryUsage().rss;
await Promise.all(workers.map((w) => w.terminate()));
startups.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({ workers: count, startupMedianMs: startups[Math.floor(count / 2)], rssPerWorkerBytes: Math.round((rssAll - rssBefore) / count) }) + '\n',
);
