// The verification API (snapshot, verifyNone, trackLeaks) in real processes: each fixture
// under fixtures/check/api runs in its own Node and prints what it observed as JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerLine } from './helpers/leakprof.js';
import { nodeJson } from './helpers/check.js';
import { leakprofCli } from './helpers/leakprof.js';

const api = (name) => `fixtures/check/api/${name}.mjs`;
const line = (name, marker) => markerLine(api(name), marker);
const at = (name, marker) => `${api(name)}:${line(name, marker)}`;

test('verifyNone settles: a 50 ms timer, a self-clearing interval, a server closed without waiting pass; no window, a leak', async () => {
  const { code, out } = await nodeJson([api('settle')]);
  assert.equal(code, 0);
  assert.deepEqual(out.timeout, [`1 × Timeout 50ms ref at ${at('settle', 'SETTLES timeout')}`], 'verbose names what went away while settling');
  assert.deepEqual(out.interval, [`1 × Timeout 10ms repeat ref at ${at('settle', 'SETTLES interval')}`]);
  assert.equal(out.closedServer, 'clean');
  assert.equal(out.noWindow.length, 1);
  assert.match(out.noWindow[0], new RegExp(`^leak: 1 × Timeout 50ms ref, created at ${at('settle', 'LEAK without a window')} — clearTimeout`));
});

test('verifyNone rejects with a LeakError: one line per leak, then the stack; passes once cleared', async () => {
  const { out } = await nodeJson([api('leak')]);
  assert.equal(out.first.isLeakError, true);
  const [head, first] = out.first.message.split('\n');
  assert.equal(head, 'leakprof: 1 leak left alive after the settle window');
  assert.equal(first, `leak: 1 × Timeout 1000ms repeat ref, created at ${at('leak', 'LEAK interval')} — clearInterval it, or .unref() it if it is background work`);
  assert.match(out.first.message, /1 @ Timeout 1000ms repeat ref age/);
  assert.deepEqual(out.first.leaks.map((l) => l.line), [line('leak', 'LEAK interval')]);
  assert.equal(out.after, 'clean');
});

test('trackLeaks: nothing for a clean fn, the new timer for a leaky one, error and leak both when fn throws', async () => {
  const { out } = await nodeJson([api('track')]);
  assert.deepEqual(out.clean, { value: 42, leaks: 0 });
  assert.deepEqual(out.leaky, { value: 'done', leaks: [line('track', 'LEAK in fn')] });
  assert.deepEqual(out.thrown, { message: 'test failed', leaks: [line('track', 'LEAK and throw')] });
});

test('baseline from snapshot(), ignore rules by type, frame glob and top function, thresholds, fail-on', async () => {
  const { out } = await nodeJson([api('baseline-and-ignore')]);
  const n = (marker) => `Timeout:${line('baseline-and-ignore', marker)}`;
  assert.equal(out.sameAsBaseline, 'clean');
  assert.deepEqual(out.newOne, [n('NEW interval')]);
  assert.equal(out.byType, 'clean');
  assert.equal(out.byFrame, 'clean');
  assert.deepEqual(out.byFrameOtherFile.sort(), [n('OLD interval'), n('NEW interval')].sort());
  assert.deepEqual(out.byTopFunction, [n('NEW interval')], 'fn:startPolling ignores the POLL interval; the baseline the OLD one');
  assert.equal(out.maxHandles, 'clean');
  assert.equal(out.failOnNothing, 'clean');
});

test('outside leakprof: tracking starts late, and what came before is a count from getActiveResourcesInfo with no stack', async () => {
  const { out } = await nodeJson([api('late-start')]);
  assert.equal(out.leaks.length, 1);
  assert.equal(out.leaks[0].line, null);
  assert.match(out.leaks[0].message, /^leak: 1 × Timeout \(made before tracking\) ref, no creation stack — import leakprof .*leakprof\/register/);
});

test('node --import leakprof/register: tracking from the start, so the early timer has its line', async () => {
  const { out } = await nodeJson(['--import', './dist/check/register.js', api('late-start')]);
  assert.deepEqual(out.leaks.map((l) => l.line), [line('late-start', 'EARLY')]);
});

test('verifyNone on what holds nothing: a never-opened socket passes; under check --promises race losers pass, a reachable parked task fails', async () => {
  const plain = await nodeJson([api('settle-unreachable')]);
  assert.equal(plain.out.unopened, 'clean', 'no fd: nothing held, and not a "made before tracking" ghost either');
  // Every promise stacked (no sampling), so the parked task is seen for sure.
  const { code, stdout, stderr } = await leakprofCli(['check', '--promises', '--promise-budget', '100000000', '--timeout', '60s', api('settle-unreachable')]);
  // The parked task is still reachable at the natural exit too: check fails on it, and on it alone.
  assert.equal(code, 1, stderr);
  assert.deepEqual(stderr.split('\n').filter((l) => l.startsWith('leak (')).map((l) => l.split(' — ')[0]), [`leak (async): 1 × await pending, created at ${at('settle-unreachable', 'LEAK parked')}`]);
  const out = JSON.parse(stdout);
  assert.equal(out.unopened, 'clean');
  assert.equal(out.races, 'clean', 'the losers are garbage (the GC runs a turn after the look that read their WeakRefs), and verifyNone\'s own waits are not parked');
  assert.equal(out.parked.length, 1, JSON.stringify(out.parked));
  assert.match(out.parked[0], new RegExp(`^leak \\(async\\): 1 × await pending, created at ${at('settle-unreachable', 'LEAK parked')} — `));
});
