// A promise-heavy load: a chain of a million awaits (each on an async function that awaits
// once itself), plus a few thousand concurrent Promise.all fans. Prints {"loadMs": …} last on stdout.
const AWAITS = Number(process.env.AWAITS ?? 1_000_000);

async function leaf(i) {
  await null;
  return i & 1;
}

async function chain(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await leaf(i);
  return sum;
}

async function fan(n) {
  const out = await Promise.all(Array.from({ length: n }, (_, i) => leaf(i)));
  return out.length;
}

const started = performance.now();
const sum = await chain(AWAITS);
let fanned = 0;
for (let i = 0; i < 100; i++) fanned += await fan(1000);
const loadMs = performance.now() - started;
console.log(JSON.stringify({ loadMs, sum, fanned }));
