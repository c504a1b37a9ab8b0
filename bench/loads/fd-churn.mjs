// What the fds profile costs on its hot path: OPENS openSync/closeSync pairs, then STREAMS
// read streams read to their end (each opened and closed by Node's stream code); prints the
// wall time of each phase as one JSON line to stdout.
import { openSync, closeSync, readSync, createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(import.meta.url);
const opens = Number(process.env.OPENS ?? 100000);
const streams = Number(process.env.STREAMS ?? 5000);
const buf = Buffer.alloc(16);

let t = performance.now();
for (let i = 0; i < opens; i++) {
  const fd = openSync(file, 'r');
  readSync(fd, buf, 0, 16, 0);
  closeSync(fd);
}
const openMs = performance.now() - t;

t = performance.now();
for (let i = 0; i < streams; i++) {
  await new Promise((resolve, reject) => createReadStream(file).on('error', reject).on('close', resolve).resume());
}
const streamMs = performance.now() - t;
process.stdout.write(JSON.stringify({ opens, openMs, streams, streamMs }) + '\n');
