// The fds profile: descriptors opened through node:fs and never closed, by the line that opened
// them, cross-checked against /proc/self/fd; check fails on them and passes the fixed twins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { markerLine, processFor, profileGroups } from './helpers/leakprof.js';
import { checkJson } from './helpers/check.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;
const where = (v) => `${v.location?.file}:${v.location?.line}`;

test('a read stream opened before a 304 and dropped: 400 requests leave 400 fds, at the createReadStream line; the fixed server passes', async () => {
  const file = 'fixtures/fd-static-server/leaky.mjs';
  const leaky = await checkJson([file]);
  assert.equal(leaky.code, 1, leaky.stderr);
  const fds = leaky.verdict.violations.filter((v) => v.kind === 'fds');
  assert.equal(fds.length, 1, JSON.stringify(leaky.verdict.violations));
  assert.equal(where(fds[0]), at(file, 'LEAK'));
  assert.equal(fds[0].count, 400);
  assert.match(fds[0].message, /^leak \(fds\): 400 × ReadStream open, created at fixtures\/fd-static-server\/leaky\.mjs:\d+ — call stream\.destroy\(\)/);
  // Only the descriptors leaked: no handle is left (the server was closed).
  assert.deepEqual(leaky.verdict.violations.filter((v) => v.kind !== 'fds'), []);

  const fixed = await checkJson(['fixtures/fd-static-server/fixed.mjs']);
  assert.equal(fixed.code, 0, JSON.stringify(fixed.verdict.violations));
  assert.equal(profileGroups(processFor(fixed.report, 'fd-static-server/fixed.mjs'), 'fds').length, 0);

  if (existsSync('/proc/self/fd')) {
    // The OS agrees: the leaky process ended with 400 more descriptors open than its fixed twin.
    const l = processFor(leaky.report, 'fd-static-server/leaky.mjs').fdCounts;
    const f = processFor(fixed.report, 'fd-static-server/fixed.mjs').fdCounts;
    assert.equal(l.tracked, 400);
    assert.ok(l.open >= l.tracked, JSON.stringify(l));
    assert.ok(l.open - (f?.open ?? 0) >= 390, `leaky ${JSON.stringify(l)} fixed ${JSON.stringify(f)}`);
  }
});

test('openSync without a close on one path and fs.promises FileHandles never closed: each at its line; the fixed twin passes', async () => {
  const file = 'fixtures/fd-open-no-close/leaky.mjs';
  const leaky = await checkJson([file]);
  assert.equal(leaky.code, 1, leaky.stderr);
  const byType = Object.fromEntries(leaky.verdict.violations.map((v) => [v.type, v]));
  assert.equal(byType.fd?.count, 5, JSON.stringify(leaky.verdict.violations));
  assert.equal(where(byType.fd), at(file, 'LEAK-FD'));
  assert.match(byType.fd.message, /fs\.closeSync\(fd\)/);
  assert.equal(byType.FileHandle?.count, 3);
  assert.equal(where(byType.FileHandle), at(file, 'LEAK-HANDLE'));
  assert.match(byType.FileHandle.message, /await handle\.close\(\)/);
  // Each entry names the file it holds open.
  const group = profileGroups(processFor(leaky.report, 'fd-open-no-close/leaky.mjs'), 'fds').find((g) => g.type === 'fd');
  assert.ok(group.entries.every((e) => String(e.details.path).endsWith('short.bin')), JSON.stringify(group.entries));

  const fixed = await checkJson(['fixtures/fd-open-no-close/fixed.mjs']);
  assert.equal(fixed.code, 0, JSON.stringify(fixed.verdict.violations));
  // Not judged when fds are left out of --fail-on.
  assert.equal((await checkJson(['--fail-on', 'handles', file])).code, 0);
});
