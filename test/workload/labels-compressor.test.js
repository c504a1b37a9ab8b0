// Behaviour both variants share (spec 1.2, VictoriaMetrics' TestLabelsCompressorSerial/Concurrent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCompressor, sortLabels } from '../../dist/workload/index.js';
import { newTestSeries, randomLabelSets } from './helpers.js';

for (const variant of ['leaky', 'fixed']) {
  test(`${variant}: serial round trip of empty, 2- and 3-label sets; size and items grow`, () => {
    const lc = createCompressor(variant);
    assert.equal(lc.itemsCount(), 0);
    assert.deepEqual([...lc.compress([])], [0x00]);
    assert.deepEqual(lc.decompress(Uint8Array.of(0)), []);
    const sets = [
      [{ name: 'job', value: 'foo' }, { name: 'instance', value: 'bar' }],
      [{ name: 'a', value: '' }, { name: '', value: 'b' }, { name: 'job', value: 'foo' }],
    ];
    for (const labels of sets) {
      const key = lc.compress(labels);
      assert.equal(key[0], labels.length);
      assert.deepEqual(lc.decompress(key), labels);
    }
    assert.equal(lc.itemsCount(), 4); // job=foo shared
    assert.ok(lc.sizeBytes() > 0);
  });

  test(`${variant}: random label sets round trip, order preserved`, () => {
    const lc = createCompressor(variant);
    const sets = randomLabelSets(variant === 'leaky' ? 7 : 11, 500);
    const keys = sets.map((labels) => lc.compress(labels));
    sets.forEach((labels, i) => assert.deepEqual(lc.decompress(keys[i]), labels));
  });

  test(`${variant}: the same labels give identical keys, interleaved like concurrent writers`, () => {
    const lc = createCompressor(variant);
    const series = newTestSeries(100, 20).map(sortLabels);
    const workers = Array.from({ length: 5 }, () => []);
    for (let i = 0; i < series.length; i++) {
      for (let w = 0; w < workers.length; w++) workers[w].push(lc.compress(series[(i + w * 17) % series.length]));
    }
    for (let w = 1; w < workers.length; w++) {
      for (let i = 0; i < series.length; i++) {
        assert.deepEqual(workers[w][i], workers[0][(i + w * 17) % series.length]);
      }
    }
    for (const [i, labels] of series.entries()) assert.deepEqual(lc.decompress(workers[0][i]), labels);
    assert.equal(lc.itemsCount(), 100 * 20);
  });

  test(`${variant}: malformed keys and unknown indices throw BUG errors`, () => {
    const lc = createCompressor(variant);
    lc.compress([{ name: 'a', value: 'b' }]);
    assert.throws(() => lc.decompress(Uint8Array.of()), /BUG: cannot read labels count/);
    assert.throws(() => lc.decompress(Uint8Array.of(2, 1)), /BUG: cannot read label index 1/);
    assert.throws(() => lc.decompress(Uint8Array.of(0, 5)), /non-empty tail/);
    assert.throws(() => lc.decompress(Uint8Array.of(1, 1, 1)), /non-empty tail/);
    assert.throws(() => lc.decompress(Uint8Array.of(1, 0x80)), /BUG/);
    assert.throws(() => lc.decompress(Uint8Array.of(1, 99)), /BUG: missing label for idx=99/);
  });

  test(`${variant}: appendCompressed builds composite keys byte-identical to compress`, () => {
    const lc = createCompressor(variant);
    const a = [{ name: 'job', value: 'x' }];
    const b = [{ name: 'pod', value: 'p1' }, { name: 'zone', value: 'z' }];
    const dst = [9];
    lc.appendCompressed(dst, a);
    lc.appendCompressed(dst, b);
    assert.deepEqual(dst, [9, ...lc.compress(a), ...lc.compress(b)]);
  });
}

test('index base: leaky starts at 1, fixed at 0', () => {
  const label = [{ name: 'a', value: 'b' }];
  assert.deepEqual([...createCompressor('leaky').compress(label)], [1, 1]);
  assert.deepEqual([...createCompressor('fixed').compress(label)], [1, 0]);
});

test('size accounting per entry: leaky +88 bytes, fixed +40 bytes, UTF-8 lengths', () => {
  const label = [{ name: 'é', value: 'bc' }]; // 2 + 2 bytes
  const leaky = createCompressor('leaky');
  const fixed = createCompressor('fixed');
  leaky.compress(label);
  fixed.compress(label);
  assert.equal(leaky.sizeBytes(), 4 + 88);
  assert.equal(fixed.sizeBytes(), 4 + 40);
  leaky.compress(label);
  assert.equal(leaky.sizeBytes(), 4 + 88, 'a known label adds nothing');
});

test('unknown variant is rejected with the choices', () => {
  assert.throws(() => createCompressor('weak'), /use "leaky" or "fixed"/);
});

test('leaky: churn grows items and bytes without bound; rotate() removes nothing and old keys never throw', () => {
  const lc = createCompressor('leaky');
  const first = lc.compress([{ name: 'pod', value: 'p-0' }]);
  const sizes = [];
  for (let period = 1; period <= 20; period++) {
    for (let i = 0; i < 100; i++) lc.compress([{ name: 'job', value: 'j' }, { name: 'pod', value: `p-${period}-${i}` }]);
    lc.rotate();
    sizes.push(lc.sizeBytes());
  }
  assert.equal(lc.itemsCount(), 1 + 1 + 20 * 100);
  assert.ok(sizes[19] > sizes[9] && sizes[9] > sizes[0], 'size keeps growing');
  assert.equal(lc.generation, 0);
  assert.deepEqual(lc.decompress(first), [{ name: 'pod', value: 'p-0' }]);
});
