// A flat, long-running load with many live handles: TIMERS one-hour timers and SOCKETS loopback
// connection pairs held open, plus a steady trickle of short timers and socket writes. What is alive
// and what changes per second stay the same from the first minute to the last; it ends after MINUTES.
import { createServer, connect } from 'node:net';

const timers = Number(process.env.TIMERS ?? 20000);
const sockets = Number(process.env.SOCKETS ?? 200);
const minutes = Number(process.env.MINUTES ?? 10);

const held = [];
for (let i = 0; i < timers; i++) held.push(i % 2 === 0 ? setTimeout(() => {}, 3_600_000) : setTimeout(() => {}, 3_600_001));

const server = createServer((s) => s.on('data', (d) => s.write(d)));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const clients = [];
for (let i = 0; i < sockets; i++) {
  const c = connect(port, '127.0.0.1');
  c.on('data', () => {});
  await new Promise((resolve) => c.once('connect', resolve));
  clients.push(c);
}

// The steady churn: 20 short timers every 10 ms, and every client writes once a second.
let fired = 0;
const churn = setInterval(() => {
  for (let i = 0; i < 20; i++) setTimeout(() => fired++, 5);
}, 10);
let turn = 0;
const writes = setInterval(() => {
  for (const c of clients) c.write(`${turn++}\n`);
}, 1000);

setTimeout(() => {
  clearInterval(churn);
  clearInterval(writes);
  for (const t of held) clearTimeout(t);
  for (const c of clients) c.destroy();
  server.close();
  process.stdout.write(`${JSON.stringify({ fired })}\n`);
}, minutes * 60_000);
