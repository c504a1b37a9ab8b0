// What a user profile's add/remove costs the program: the same loop (make an object, add it,
// remove it) timed against the loop without the two calls, alternated in one process, median of
// five. Bare (no collector), profile() keeps nothing; under `leakprof run` every add takes a stack.
// Prints one JSON line to stdout: ns per iteration with and without add/remove, and their difference.
import { profile } from 'leakprof';

const N = Number(process.env.ITERATIONS ?? 1_000_000);
const conns = profile('bench-items');
let sink = 0;

function control() {
  for (let i = 0; i < N; i++) {
    const item = { i };
    sink += item.i;
  }
}

function withProfile() {
  for (let i = 0; i < N; i++) {
    const item = { i };
    conns.add(item);
    sink += item.i;
    conns.remove(item);
  }
}

const time = (fn) => {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / N;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const loadStarted = performance.now();
time(control);
time(withProfile);
const base = [];
const added = [];
for (let r = 0; r < 5; r++) {
  base.push(time(control));
  added.push(time(withProfile));
}
const out = { loadMs: Math.round(performance.now() - loadStarted), controlNs: median(base), profileNs: median(added), sink: sink > 0 };
out.addRemoveNs = +(out.profileNs - out.controlNs).toFixed(1);
out.controlNs = +out.controlNs.toFixed(1);
out.profileNs = +out.profileNs.toFixed(1);
console.log(JSON.stringify(out));
