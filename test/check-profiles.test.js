// check judges every profile by name: the async profile (--promises) and the listeners profile
// (--listeners) with their own limits and --fail-on kinds, over the lead's leaky/fixed fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerLine, UNTIL_IDLE } from './helpers/leakprof.js';
import { check, checkJson } from './helpers/check.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;

test('--promises: parked awaits are a leak (async), at the await; the fixed twin passes', async () => {
  const file = 'fixtures/timeout-race/leaky.mjs';
  const { code, verdict } = await checkJson(['--promises', ...UNTIL_IDLE, file]);
  assert.equal(code, 1, JSON.stringify(verdict.violations));
  const parked = verdict.violations.filter((v) => v.kind === 'async');
  assert.ok(parked.length >= 1 && parked.every((v) => `${v.location.file}:${v.location.line}` === at(file, 'LEAK')), JSON.stringify(parked));
  assert.match(parked[0].message, /^leak \(async\): ≈?\d+ × await pending, created at/);
  assert.equal((await check(['--promises', ...UNTIL_IDLE, 'fixtures/timeout-race/fixed.mjs'])).code, 0);
  // Not judged without --promises, nor when async is left out of --fail-on, nor under a high enough limit.
  assert.equal((await check([...UNTIL_IDLE, file])).code, 0);
  assert.equal((await check(['--promises', '--fail-on', 'handles', ...UNTIL_IDLE, file])).code, 0);
  assert.equal((await check(['--promises', '--max-promises', '100000', ...UNTIL_IDLE, file])).code, 0);
});

test('--listeners: a listener per request is a leak (listeners), at the on() line; the fixed twin passes', async () => {
  const file = 'fixtures/listener-per-request/leaky.mjs';
  const { code, verdict } = await checkJson(['--listeners', ...UNTIL_IDLE, file]);
  assert.equal(code, 1);
  // The first listeners on a pair, before it is watched, have no stack; every located one is at the line.
  const located = verdict.violations.filter((v) => v.kind === 'listeners' && v.location);
  assert.deepEqual([...new Set(located.map((v) => `${v.location.file}:${v.location.line}`))], [at(file, 'LEAK')], JSON.stringify(verdict.violations));
  assert.equal((await check(['--listeners', ...UNTIL_IDLE, 'fixtures/listener-per-request/fixed.mjs'])).code, 0);
  assert.equal((await check(['--listeners', '--max-listeners', '100000', ...UNTIL_IDLE, file])).code, 0);
});
