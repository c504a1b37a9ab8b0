import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesGenerator, memorySlope, getGc, heapUsedAfterGc } from '../../dist/workload/index.js';

const names = (s) => s.labels.map((l) => l.name);

test('generator: fixed series count, sorted labels of the requested size, deterministic', () => {
  const a = new SeriesGenerator({ series: 50, labelsPerSeries: 8, churnPerSec: 10, seed: 3 });
  const b = new SeriesGenerator({ series: 50, labelsPerSeries: 8, churnPerSec: 10, seed: 3 });
  const ba = a.batch(1000);
  assert.deepEqual(b.batch(1000), ba);
  assert.equal(ba.length, 50);
  for (const s of ba) {
    assert.equal(s.labels.length, 8);
    assert.deepEqual(names(s), [...names(s)].sort());
    assert.deepEqual(names(s).slice(0, 3), ['__name__', 'job', 'label_0']);
  }
  a.advance(2500);
  b.advance(2500);
  assert.deepEqual(a.batch(2000), b.batch(2000));
});

test('generator: churnPerSec fresh pod values per second grow cardinality; values are counters', () => {
  const g = new SeriesGenerator({ series: 20, labelsPerSeries: 4, churnPerSec: 100, seed: 1 });
  const pods = new Set();
  const collect = (batch) => batch.forEach((s) => pods.add(s.labels.find((l) => l.name === 'pod').value));
  const first = g.batch(0);
  collect(first);
  assert.equal(g.advance(1000), 100);
  assert.equal(g.advance(1500), 50);
  assert.equal(g.advance(1500), 0);
  assert.equal(g.churned, 150);
  const second = g.batch(1500);
  collect(second);
  assert.ok(pods.size > 20 + 10, `pods ${pods.size}`);
  second.forEach((s, i) => assert.ok(s.samples[0].value > first[i].samples[0].value));
  assert.throws(() => new SeriesGenerator({ series: 1, labelsPerSeries: 2, churnPerSec: 0 }), /labelsPerSeries must be an integer ≥ 3/);
});

test('memorySlope: least squares in bytes per minute', () => {
  assert.equal(memorySlope([]), 0);
  assert.equal(memorySlope([{ tMs: 0, heapUsed: 5 }]), 0);
  const line = Array.from({ length: 10 }, (_, i) => ({ tMs: i * 1000, heapUsed: 1e6 + i * 500 }));
  assert.equal(Math.round(memorySlope(line)), 30_000);
  const flat = [0, 1, 2, 3].map((i) => ({ tMs: i * 1000, heapUsed: i % 2 ? 10 : 12 }));
  assert.ok(Math.abs(memorySlope(flat)) < 60 * 1000);
});

test('a gc function is available at run time without --expose-gc', () => {
  assert.equal(typeof getGc(), 'function');
  assert.ok(heapUsedAfterGc() > 0);
});
