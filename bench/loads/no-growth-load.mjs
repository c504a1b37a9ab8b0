// One measurement for bench/assert-no-growth.js, in a fresh process (what a test file's first
// assertNoGrowth meets: a cold JIT): MODE=assert times assertNoGrowth(fn, { iterations }) and says
// how many calls of fn it made; MODE=bare times that many calls of fn alone. Prints one JSON line.
import { assertNoGrowth } from 'leakprof';

const shape = process.env.SHAPE;
const iterations = Number(process.env.ITERATIONS ?? 30);

// A request handler's worth of work: parse, build a response, serialise it.
function handler(i) {
  const req = JSON.parse(`{"user":${i},"items":[1,2,3,4,5,6,7,8]}`);
  const res = { user: req.user, total: req.items.reduce((a, b) => a + b, 0), rows: req.items.map((x) => ({ x, label: `item ${x}` })) };
  return JSON.stringify(res).length;
}
// Much garbage per call: 5,000 objects and their JSON.
function render(i) {
  const rows = [];
  for (let r = 0; r < 5000; r++) rows.push({ r, text: `row ${r} of ${i}` });
  return JSON.stringify(rows).length;
}
// A bounded cache: a new entry per call, the oldest evicted past 50 (it fills during the first calls).
const recent = new Map();
function remember(i) {
  recent.set(`key-${i}`, { i, at: Date.now(), payload: new Array(32).fill(i) });
  if (recent.size > 50) recent.delete(recent.keys().next().value);
  return recent.size;
}
// A leak: one session per call, never evicted.
class Session {
  constructor(id) {
    this.id = `session-${id}`;
    this.user = { id };
  }
}
const sessions = new Map();
function login(i) {
  const s = new Session(i);
  sessions.set(s.id, s);
  return s;
}
const fn = { handler: async (i) => handler(i), render: async (i) => render(i), lru: async (i) => remember(i), leaky: async (i) => login(i) }[shape];

if (process.env.MODE === 'bare') {
  const calls = Number(process.env.CALLS);
  const started = performance.now();
  for (let i = 0; i < calls; i++) await fn(i);
  console.log(JSON.stringify({ ms: performance.now() - started, calls }));
} else {
  const started = performance.now();
  let growth;
  let threw = false;
  try {
    growth = await assertNoGrowth(fn, { iterations });
  } catch (error) {
    if (!error.growth) throw error;
    growth = error.growth;
    threw = true;
  }
  console.log(JSON.stringify({ ms: performance.now() - started, calls: growth.calls, snapshots: growth.snapshots, threw }));
}
