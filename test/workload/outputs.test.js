import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputFactory, outputFactories, quantile } from '../../dist/workload/index.js';

const PAST = { now: () => 10_000, ignoreFirstSampleDeadline: 0 }; // startup window over: first samples count
const STARTUP = { now: () => 10_000, ignoreFirstSampleDeadline: 20_000 };

function run(name, pushes, { ctx = PAST, flushTs = 1000, isLast = false, state } = {}) {
  state ??= outputFactory(name).create(ctx);
  for (const [key, value, ts = 1, deadline = 1e12] of pushes) state.push(key, value, ts, deadline);
  const out = [];
  state.flush((suffix, value, extra) => out.push(extra ? { suffix, value, extra } : { suffix, value }), flushTs, isLast);
  return { out, state };
}

test('total: deltas summed across input series, counter resets, carried across flushes', () => {
  const { out, state } = run('total', [['k1', 5, 1], ['k1', 7, 2], ['k1', 3, 3], ['k2', 10, 1]]);
  assert.deepEqual(out, [{ suffix: 'total', value: 5 + 2 + 3 + 10 }]);
  assert.deepEqual(run('total', [['k1', 4, 4]], { state }).out, [{ suffix: 'total', value: 21 }]);
});

test('increase: same deltas, reset every flush', () => {
  const { out, state } = run('increase', [['k1', 5, 1], ['k1', 7, 2], ['k1', 3, 3], ['k2', 10, 1]]);
  assert.deepEqual(out, [{ suffix: 'increase', value: 20 }]);
  assert.deepEqual(run('increase', [['k1', 4, 4]], { state }).out, [{ suffix: 'increase', value: 1 }]);
});

test('total: first sample skipped during the startup window; _prometheus always skips it', () => {
  assert.equal(run('total', [['k1', 5, 1], ['k1', 7, 2]], { ctx: STARTUP }).out[0].value, 2);
  assert.equal(run('total_prometheus', [['k1', 5, 1], ['k1', 7, 2]]).out[0].value, 2);
  assert.equal(run('increase_prometheus', [['k1', 5, 1], ['k1', 7, 2]]).out[0].value, 2);
});

test('total: out-of-order samples are dropped', () => {
  assert.equal(run('total', [['k1', 5, 2], ['k1', 4, 1], ['k1', 6, 3]]).out[0].value, 6);
});

test('total: input series past their delete deadline are forgotten at flush', () => {
  const { out, state } = run('total', [['k1', 5, 1, 500]], { flushTs: 1000 });
  assert.equal(out[0].value, 5);
  // k1 was dropped, so 7 counts as a first sample (7), not as a delta (2).
  assert.equal(run('total', [['k1', 7, 2, 5000]], { state, flushTs: 2000 }).out[0].value, 12);
});

test('count_samples, count_series, sum_samples', () => {
  const pushes = [['k1', 1], ['k1', 2], ['k2', 3]];
  assert.deepEqual(run('count_samples', pushes).out, [{ suffix: 'count_samples', value: 3 }]);
  assert.deepEqual(run('count_series', pushes).out, [{ suffix: 'count_series', value: 2 }]);
  assert.deepEqual(run('sum_samples', pushes).out, [{ suffix: 'sum_samples', value: 6 }]);
  assert.deepEqual(run('count_samples', []).out, [], 'count_samples skips empty intervals');
  assert.deepEqual(run('count_series', []).out, []);
  assert.deepEqual(run('sum_samples', []).out, [{ suffix: 'sum_samples', value: 0 }], 'sum_samples always emits');
});

test('last, min, max', () => {
  const pushes = [['k', 5, 1], ['k', 7, 3], ['k', 9, 2], ['k', -1, 2]];
  assert.deepEqual(run('last', pushes).out, [{ suffix: 'last', value: 7 }]);
  assert.deepEqual(run('min', pushes).out, [{ suffix: 'min', value: -1 }]);
  assert.deepEqual(run('max', pushes).out, [{ suffix: 'max', value: 9 }]);
  for (const name of ['last', 'min', 'max']) assert.deepEqual(run(name, []).out, [], `${name} skips empty intervals`);
  const { state } = run('max', [['k', 100]]);
  assert.deepEqual(run('max', [['k', 1]], { state }).out, [{ suffix: 'max', value: 1 }], 'state resets after flush');
});

test('avg, stddev, stdvar (population, Welford)', () => {
  const pushes = [2, 4, 4, 4, 5, 5, 7, 9].map((v) => ['k', v]);
  assert.deepEqual(run('avg', pushes).out, [{ suffix: 'avg', value: 5 }]);
  assert.deepEqual(run('stdvar', pushes).out, [{ suffix: 'stdvar', value: 4 }]);
  assert.deepEqual(run('stddev', pushes).out, [{ suffix: 'stddev', value: 2 }]);
  assert.deepEqual(run('avg', []).out, []);
  assert.deepEqual(run('stddev', [['k', 3]]).out, [{ suffix: 'stddev', value: 0 }]);
});

test('quantiles: one series per φ with a quantile label, interpolated', () => {
  const { out } = run('quantiles(0, 0.5, 1)', [5, 1, 4, 2, 3].map((v) => ['k', v]));
  assert.deepEqual(out, [
    { suffix: 'quantiles', value: 1, extra: { name: 'quantile', value: '0' } },
    { suffix: 'quantiles', value: 3, extra: { name: 'quantile', value: '0.5' } },
    { suffix: 'quantiles', value: 5, extra: { name: 'quantile', value: '1' } },
  ]);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  assert.deepEqual(run('quantiles(0.5)', []).out, []);
});

test('output validation says what to fix', () => {
  assert.throws(() => outputFactory('median'), /unsupported output "median": use one of total/);
  assert.throws(() => outputFactory('quantiles(2)'), /must be a number in \[0\.\.1\]/);
  assert.throws(() => outputFactory('quantiles()'), /at least one φ/);
  assert.throws(() => outputFactories([]), /outputs must not be empty/);
  assert.throws(() => outputFactories(['max', 'max']), /listed twice/);
  assert.equal(outputFactories(['total', 'quantiles(0.9)']).length, 2);
});
