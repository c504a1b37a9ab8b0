// HTTP loopback load: an http server and an undici Pool in one process, REQUESTS requests with INFLIGHT in flight.
// Prints {"loadMs": …} on stdout when done, then closes everything and exits by itself.
import http from 'node:http';
import { Pool } from 'undici';

const total = Number(process.env.REQUESTS ?? 20000);
const inflight = Number(process.env.INFLIGHT ?? 32);
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('ok');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const pool = new Pool(`http://127.0.0.1:${server.address().port}`, { connections: inflight });
const start = performance.now();
let next = 0;
async function lane() {
  while (next < total) {
    next++;
    const { body } = await pool.request({ path: '/', method: 'GET' });
    await body.text();
  }
}
await Promise.all(Array.from({ length: inflight }, lane));
const loadMs = performance.now() - start;
await pool.close();
await new Promise((resolve) => server.close(resolve));
process.stdout.write(`${JSON.stringify({ loadMs })}\n`);
