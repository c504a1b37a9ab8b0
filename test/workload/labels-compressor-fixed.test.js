// The fixed compressor's rotation and two-phase eviction (spec 1.4), driven by calling rotate() by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedLabelsCompressor, IDLE_ROTATION_PERIOD_MS } from '../../dist/workload/index.js';

const A = [{ name: 'pod', value: 'a' }];
const K = [{ name: 'job', value: 'keepalive' }]; // used every period so rotations are non-empty

test('a label is evicted only after two unused non-empty periods, freed one rotation later', () => {
  const lc = new FixedLabelsCompressor();
  const keyA = lc.compress(A);
  lc.compress(K);
  lc.rotate(); // period 0: A used
  assert.equal(lc.itemsCount(), 2);

  lc.compress(K);
  lc.rotate(); // period 1: A unused, but the previous period still covers it
  assert.equal(lc.itemsCount(), 2);
  assert.equal(lc.generation, 0);

  lc.compress(K);
  lc.rotate(); // period 2: unused twice → phase 1 eviction from lookup
  assert.equal(lc.itemsCount(), 1);
  assert.equal(lc.generation, 1);
  assert.deepEqual(lc.decompress(keyA), A, 'grace period: an in-flight key still decodes');
  assert.equal(lc.freeSlotCount, 0);

  lc.compress(K);
  lc.rotate(); // phase 2: the slot is freed
  assert.equal(lc.freeSlotCount, 1);
  assert.throws(() => lc.decompress(keyA), /use after evict/);
  assert.equal(lc.generation, 1, 'phase 2 alone does not bump the generation');
});

test('empty rotations change nothing and do not advance the previous period', () => {
  const lc = new FixedLabelsCompressor();
  const keyA = lc.compress(A);
  lc.rotate();
  const before = lc.sizeBytes();
  for (let i = 0; i < 5; i++) lc.rotate();
  assert.equal(lc.itemsCount(), 1);
  assert.equal(lc.generation, 0);
  assert.equal(lc.sizeBytes(), before);

  lc.compress(K);
  lc.rotate(); // A still covered by the last non-empty period
  assert.equal(lc.itemsCount(), 2);
  lc.compress(K);
  lc.rotate();
  assert.equal(lc.itemsCount(), 1, 'evicted after two non-empty unused periods, however many empty ones between');
  assert.deepEqual(lc.decompress(keyA), A);
});

test('a label compressed every period is never evicted', () => {
  const lc = new FixedLabelsCompressor();
  const key = lc.compress(A);
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(lc.compress(A), key);
    lc.rotate();
  }
  assert.equal(lc.generation, 0);
  assert.deepEqual(lc.decompress(key), A);
});

test('freed slots are reused LIFO and an evicted label comes back under a new index', () => {
  const lc = new FixedLabelsCompressor();
  const x = [{ name: 'x', value: '1' }];
  const y = [{ name: 'y', value: '1' }];
  assert.deepEqual([...lc.compress(x)], [1, 0]);
  assert.deepEqual([...lc.compress(y)], [1, 1]);
  assert.deepEqual([...lc.compress(K)], [1, 2]);
  for (let i = 0; i < 4; i++) {
    lc.rotate();
    lc.compress(K);
  }
  assert.equal(lc.freeSlotCount, 2);
  assert.equal(lc.slotCount, 3);
  // freeIdxs = [0, 1]: pop gives 1 first, then 0.
  assert.deepEqual([...lc.compress([{ name: 'p', value: '1' }])], [1, 1]);
  assert.deepEqual([...lc.compress([{ name: 'q', value: '1' }])], [1, 0]);
  assert.deepEqual([...lc.compress(x)], [1, 3], 'x was evicted, so it gets a fresh slot');
  assert.equal(lc.slotCount, 4);
});

test('under churn items, slots and bytes plateau and the generation keeps increasing', () => {
  const lc = new FixedLabelsCompressor();
  const sample = [];
  for (let period = 0; period < 40; period++) {
    for (let i = 0; i < 100; i++) lc.compress([{ name: 'job', value: 'j' }, { name: 'pod', value: `p-${period}-${i}` }]);
    lc.rotate();
    sample.push({ items: lc.itemsCount(), bytes: lc.sizeBytes(), slots: lc.slotCount, gen: lc.generation });
  }
  assert.ok(sample[39].items <= 2 * 100 + 1, `items ${sample[39].items}`);
  assert.ok(sample[39].slots <= 4 * 100 + 1, `slots ${sample[39].slots}`);
  assert.equal(sample[39].slots, sample[19].slots, 'slot count flat');
  assert.equal(sample[39].bytes, sample[19].bytes, 'size flat');
  assert.ok(sample[39].gen > sample[19].gen && sample[19].gen > 0);
});

test('a key older than about three periods throws after churn', () => {
  const lc = new FixedLabelsCompressor();
  const old = lc.compress([{ name: 'pod', value: 'old' }]);
  for (let period = 0; period < 4; period++) {
    lc.compress([{ name: 'pod', value: `new-${period}` }]);
    lc.rotate();
  }
  assert.throws(() => lc.decompress(old), /BUG/);
});

test('register/unregister: period = max registered, idle 1h for 0, timer cleared when the last user leaves', () => {
  const lc = new FixedLabelsCompressor();
  assert.equal(lc.rotationPeriodMs, 0);
  lc.register(2000);
  assert.equal(lc.rotationPeriodMs, 2000);
  lc.register(5000);
  lc.register(2000);
  assert.equal(lc.rotationPeriodMs, 5000);
  lc.unregister(5000);
  assert.equal(lc.rotationPeriodMs, 2000);
  lc.unregister(2000);
  assert.equal(lc.rotationPeriodMs, 2000, 'one registration of 2000 is left');
  lc.unregister(1234); // not registered: no effect
  assert.equal(lc.rotationPeriodMs, 2000);
  lc.unregister(2000);
  assert.equal(lc.rotationPeriodMs, 0);
  lc.register(0);
  assert.equal(lc.rotationPeriodMs, IDLE_ROTATION_PERIOD_MS);
  lc.unregister(0);
});

test('the rotation timer rotates on its own', async () => {
  const lc = new FixedLabelsCompressor();
  lc.compress(A);
  lc.register(30);
  try {
    const deadline = Date.now() + 3000;
    while (lc.generation === 0 && Date.now() < deadline) {
      lc.compress(K);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(lc.generation, 1, 'A was evicted by timer-driven rotations');
  } finally {
    lc.unregister(30);
  }
});
