// Creation stacks under each --stacks mode: timers are taken lazily (interned only when a snapshot
// reads them), and "created by" must still reach the user line when a timer's own stack has none.
import { describe, test } from 'node:test';
import timers from 'node:timers';
import assert from 'node:assert/strict';
import { describeGroups, handleGroups, leaks, location, markerLine, processFor, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

describe('timer stacks', { concurrency: true }, () => {
  for (const mode of ['auto', 'all']) {
    test(`--stacks ${mode}: an interval a library starts from its own timer callback is created by the user line`, async () => {
      const file = 'fixtures/created-by/library-interval.mjs';
      const { report, code } = await runLeakprof(['--stacks', mode, ...UNTIL_IDLE, file]);
      assert.equal(code, 124);
      const proc = processFor(report, file);
      const found = leaks(proc);
      assert.equal(found.length, 1, describeGroups(handleGroups(proc)));
      const [interval] = found;
      assert.equal(interval.label, 'Timeout 1000ms repeat');
      assert.equal(interval.top, null, 'the interval has no user frame of its own');
      // auto: cut at the Timeout constructor (setInterval, then the library); all: taken in leakprof's setInterval
      // wrapper and cut at it (the library's frame first). Either way none of async_hooks' or the timer internals' frames.
      const top = mode === 'all' ? ['Timeout.arm'] : ['setInterval', 'Timeout.arm'];
      assert.deepEqual(interval.frames.slice(0, top.length).map((f) => f.function), top, JSON.stringify(interval.frames));
      assert.ok(!interval.frames.some((f) => f.kind === 'leakprof'), JSON.stringify(interval.frames));
      assert.ok(!interval.frames.some((f) => f.file === 'node:internal/async_hooks'));
      assert.equal(location(interval), `${file}:${markerLine(file, 'LEAK')}`);
    });
  }

  test('--stacks all: a module-level interval is located at its line', async () => {
    const file = 'fixtures/module-interval/leaky.mjs';
    const { report } = await runLeakprof(['--stacks', 'all', ...UNTIL_IDLE, file]);
    const proc = processFor(report, file);
    const found = leaks(proc).filter((g) => g.type === 'Timeout');
    assert.equal(found.length, 1, describeGroups(handleGroups(proc)));
    assert.equal(location(found[0]), `${file}:${markerLine(file, 'LEAK')}`);
  });

  test('--stacks all: timers made every way (globals, node:timers exports, promisify, timers/promises) are located at their lines, and behave as without leakprof', async () => {
    const file = 'fixtures/timers/every-way.mjs';
    const { report, code, stderr } = await runLeakprof(['--stacks', 'all', ...UNTIL_IDLE, file]);
    assert.equal(code, 0, stderr);
    const proc = processFor(report, file);
    const timeouts = handleGroups(proc).filter((g) => g.type === 'Timeout');
    for (const [marker, label] of [
      ['LEAK global-interval', 'Timeout 100000ms repeat'],
      ['LEAK named-interval', 'Timeout 200000ms repeat'],
      ['LEAK named-timeout', 'Timeout 300000ms'],
      ['LEAK promises-timeout', 'Timeout 400000ms'],
      ['LEAK after-throw', 'Timeout 500000ms'],
    ]) {
      const found = timeouts.filter((g) => g.label === label);
      assert.equal(found.length, 1, `${marker}:\n${describeGroups(timeouts)}`);
      assert.equal(location(found[0]), `${file}:${markerLine(file, marker)}`, marker);
      assert.ok(!found[0].frames.some((f) => f.kind === 'leakprof'), JSON.stringify(found[0].frames));
    }
  });

  test('--stacks all: a timer armed on a plain object by the deprecated timers.active() still has its stack', { skip: typeof timers.active !== 'function' && 'no timers.active on this Node' }, async () => {
    const file = 'fixtures/timers/legacy-active.cjs';
    const { report, code } = await runLeakprof(['--stacks', 'all', '--', process.execPath, '--no-deprecation', file]);
    assert.equal(code, 0);
    const proc = processFor(report, file);
    const found = handleGroups(proc).filter((g) => g.label === 'Timeout 100000ms');
    assert.equal(found.length, 1, describeGroups(handleGroups(proc)));
    assert.equal(location(found[0]), `${file}:${markerLine(file, 'LEAK')}`);
  });
});
