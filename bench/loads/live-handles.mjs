// A service holding HANDLES live handles (intervals an hour long, from three lines, as a leak
// would leave them) and an HTTP server, then idle. Prints one JSON line when ready: how long making
// them took. With LEAKPROF_HTTP and --import leakprof/register it is what bench/live-endpoint.js scrapes.
import { createServer } from 'node:http';

const n = Number(process.env.HANDLES ?? 10_000);
const held = [];
const started = performance.now();
for (let i = 0; i < n; i++) {
  if (i % 3 === 0) held.push(setInterval(() => held.length, 3_600_000));
  else if (i % 3 === 1) held.push(setInterval(() => held.length + 1, 3_600_000));
  else held.push(setInterval(() => held.length + 2, 3_600_000));
}
const setupMs = performance.now() - started;
const server = createServer((req, res) => res.end('ok\n'));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, handles: n, setupMs: Math.round(setupMs * 10) / 10 })}\n`);
});
