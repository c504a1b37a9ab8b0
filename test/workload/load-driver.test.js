// runLoad in process with the fixed variant (the leaky one leaks timers by design; see handles.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../dist/workload/index.js';

test('runLoad (fixed, in process): pushes whole series sets, flushes, rotates, reports progress and memory', async () => {
  const progress = [];
  const r = await runLoad(
    { variant: 'fixed', series: 500, labelsPerSeries: 6, churnPerSec: 500, durationMs: 2200, pushIntervalMs: 50, concurrency: 2, http: false, intervalMs: 200, stalenessMs: 300 },
    (p) => progress.push(p),
  );
  // How many pushes fit in 2.2 s is the machine's pace (under load, a fifth): whole pushes of every series, not a count.
  assert.ok(r.samplesPushed >= 500 && r.samplesPushed % 500 === 0, `samplesPushed ${r.samplesPushed}`);
  assert.ok(r.samplesPerSec > 0);
  assert.ok(r.seriesFlushed > 0, `seriesFlushed ${r.seriesFlushed}`);
  assert.ok(r.generation > 0, 'timer-driven rotations evicted churned pods');
  assert.ok(r.memory.length >= 2, 'a sample at the start and at the end');
  assert.equal(r.memory[0].tMs, 0);
  assert.ok(Number.isFinite(r.slopeBytesPerMin));
  assert.ok(progress.length >= 1, 'progress once a second');
  assert.equal(progress[0].series, 500);
});

test('runLoad over HTTP (fixed): the import endpoint receives the same samples', async () => {
  const r = await runLoad({ variant: 'fixed', series: 200, labelsPerSeries: 5, churnPerSec: 50, durationMs: 1200, pushIntervalMs: 100, concurrency: 4, http: true, intervalMs: 500, stalenessMs: 1000 });
  assert.ok(r.samplesPushed >= 200 && r.samplesPushed % 200 === 0, `samplesPushed ${r.samplesPushed}`);
  assert.ok(r.seriesFlushed > 0);
  assert.ok(r.compressorItems > 0);
});

test('runLoad checkpoints (demo --heap): both taken, with 3,000 fresh labels pushed between them however short the load', async () => {
  const shape = { variant: 'fixed', series: 200, labelsPerSeries: 5, durationMs: 300, pushIntervalMs: 50, concurrency: 2, http: false, intervalMs: 200, stalenessMs: 300 };
  const taken = [];
  const r = await runLoad({ ...shape, churnPerSec: 2000, onCheckpoint: (label) => taken.push(label) });
  assert.deepEqual(taken, ['load 1/3', 'load 2/3']);
  // Churn follows the wall clock: 3,000 labels at 2,000/s are handed out 1.5 s after the start at
  // the earliest, and the second checkpoint waits for a push that carried them (a lower bound
  // that holds on any machine, not a speed).
  const end = r.memory.at(-1).tMs;
  assert.ok(end >= 1500, `the load ended at ${end} ms, before 3,000 fresh labels could exist`);
  // With no churn there is nothing to wait for: both checkpoints, and the load ends.
  const still = [];
  await runLoad({ ...shape, churnPerSec: 0, onCheckpoint: (label) => still.push(label) });
  assert.deepEqual(still, ['load 1/3', 'load 2/3']);
});
