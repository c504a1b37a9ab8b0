// Timer load: TIMERS setTimeout (half of them cleared) plus as many setImmediate, in batches.
// Prints {"loadMs": …} on stdout when done and exits by itself.
const total = Number(process.env.TIMERS ?? 300000);
const batch = 10000;
const start = performance.now();
let fired = 0;
let immediates = 0;
for (let made = 0; made < total; made += batch) {
  const timers = [];
  for (let i = 0; i < batch; i++) timers.push(setTimeout(() => fired++, 1 + (i % 5)));
  for (let i = 0; i < batch; i += 2) clearTimeout(timers[i]);
  await new Promise((resolve) => {
    let left = batch;
    for (let i = 0; i < batch; i++) setImmediate(() => { immediates++; if (--left === 0) resolve(); });
  });
}
await new Promise((resolve) => setTimeout(resolve, 10));
const loadMs = performance.now() - start;
if (fired !== total / 2 || immediates !== total) throw new Error(`load miscounted: ${fired} fired, ${immediates} immediates`);
process.stdout.write(`${JSON.stringify({ loadMs })}\n`);
