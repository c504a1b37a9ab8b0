import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DedupAggr, newSampleWins, STALE_NAN, isStaleNaN } from '../../dist/workload/index.js';

test('staleness NaN is recognised (quiet bit ignored) and ordinary NaN is not', () => {
  assert.ok(Number.isNaN(STALE_NAN));
  assert.ok(isStaleNaN(STALE_NAN));
  assert.ok(!isStaleNaN(NaN));
  assert.ok(!isStaleNaN(0));
  const f = new Float64Array(1);
  new BigUint64Array(f.buffer)[0] = 0x7ff0000000000002n;
  assert.ok(isStaleNaN(f[0]));
});

test('which sample wins: newer timestamp; tie → larger value, or anything over a staleness NaN', () => {
  assert.equal(newSampleWins({ value: 9, timestamp: 1 }, { value: 1, timestamp: 2 }), true);
  assert.equal(newSampleWins({ value: 1, timestamp: 2 }, { value: 9, timestamp: 1 }), false);
  assert.equal(newSampleWins({ value: 1, timestamp: 5 }, { value: 2, timestamp: 5 }), true);
  assert.equal(newSampleWins({ value: 2, timestamp: 5 }, { value: 1, timestamp: 5 }), false);
  assert.equal(newSampleWins({ value: 2, timestamp: 5 }, { value: 2, timestamp: 5 }), false);
  assert.equal(newSampleWins({ value: STALE_NAN, timestamp: 5 }, { value: -100, timestamp: 5 }), true);
  assert.equal(newSampleWins({ value: NaN, timestamp: 5 }, { value: 1, timestamp: 5 }), false, 'only the staleness NaN is replaced');
});

test('DedupAggr keeps one winner per key and a flush drains everything', () => {
  const d = new DedupAggr();
  d.push([
    { key: 'a', value: 1, timestamp: 10 },
    { key: 'a', value: 5, timestamp: 10 },
    { key: 'a', value: 3, timestamp: 10 },
    { key: 'b', value: 7, timestamp: 20 },
    { key: 'b', value: 8, timestamp: 19 },
    { key: 'c', value: STALE_NAN, timestamp: 30 },
    { key: 'c', value: 0, timestamp: 30 },
  ]);
  assert.equal(d.itemsCount(), 3);
  const got = new Map();
  d.flush((batch) => batch.forEach((s) => got.set(s.key, s)));
  assert.deepEqual(got.get('a'), { key: 'a', value: 5, timestamp: 10 });
  assert.deepEqual(got.get('b'), { key: 'b', value: 7, timestamp: 20 });
  assert.deepEqual(got.get('c'), { key: 'c', value: 0, timestamp: 30 });
  assert.equal(d.itemsCount(), 0);
  let calls = 0;
  d.flush(() => calls++);
  assert.equal(calls, 0, 'nothing left after a flush');
});

test('DedupAggr flushes in batches of at most 10,000', () => {
  const d = new DedupAggr();
  const samples = Array.from({ length: 25_000 }, (_, i) => ({ key: `k${i}`, value: i, timestamp: 1 }));
  d.push(samples);
  const sizes = [];
  d.flush((batch) => sizes.push(batch.length));
  assert.equal(sizes.reduce((a, b) => a + b, 0), 25_000);
  assert.ok(sizes.every((n) => n <= 10_000));
});
