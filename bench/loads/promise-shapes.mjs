// The promise shapes of issue 13's budget, one per run (SHAPE=awaits|then-loop|fan|poll), each
// parking PARKED async calls on promises nothing settles while the flood runs (each with a
// `.then` on the parked call, as a caller would), so the async profile's estimate can be
// checked against the truth. Prints {"loadMs": …, "parked": …} last on stdout.
const SHAPE = process.env.SHAPE ?? 'awaits';
const PARKED = Number(process.env.PARKED ?? 1000);
const SIZE = Number(process.env.SIZE ?? { awaits: 1_000_000, 'then-loop': 100_000, fan: 100, poll: 300_000 }[SHAPE]);

const never = []; // keeps the unsettled promises reachable: parked, not abandoned
let parked = 0;
let resumed = 0;
async function park() {
  const p = new Promise(() => {});
  never.push(p);
  parked++;
  await p; // PARKED
}
const every = Math.max(1, Math.floor((SHAPE === 'fan' ? SIZE * 1000 : SIZE) / PARKED));
const maybePark = (i) => {
  if (i % every === 0 && parked < PARKED) park().then(() => resumed++);
};

async function leaf(i) {
  await null;
  return i & 1;
}

const shapes = {
  // A chain of awaits, each on an async function that awaits once itself.
  async awaits() {
    let sum = 0;
    for (let i = 0; i < SIZE; i++) {
      maybePark(i);
      sum += await leaf(i);
    }
    return sum;
  },
  // `.then` tail recursion over setImmediate: each step's promise resolves with the next step's.
  'then-loop'() {
    const step = (n) => new Promise((resolve) => setImmediate(resolve)).then(() => {
      maybePark(n);
      return n > 0 ? step(n - 1) : 0;
    });
    return step(SIZE);
  },
  // Promise.all fan-out: SIZE fans of 1000.
  async fan() {
    let out = 0;
    for (let i = 0; i < SIZE; i++) {
      out += (await Promise.all(Array.from({ length: 1000 }, (_, j) => (maybePark(i * 1000 + j), leaf(j))))).length;
    }
    return out;
  },
  // A poll loop: `fetch().then(() => loop())`, the fetch an async call that answers at once.
  poll() {
    const fetchState = async (n) => ({ n });
    const loop = (n) => fetchState(n).then(() => {
      maybePark(n);
      return n > 0 ? loop(n - 1) : 0;
    });
    return loop(SIZE);
  },
};

const started = performance.now();
const cpuBefore = process.cpuUsage();
await shapes[SHAPE]();
const loadMs = performance.now() - started;
// The process's CPU time over the load (every thread: the collector's work and the GC's too), which a busy machine does not stretch as it does wall time.
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ shape: SHAPE, loadMs, cpuMs: (cpu.user + cpu.system) / 1000, parked, resumed }));
