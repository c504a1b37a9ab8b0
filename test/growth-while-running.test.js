// Growth during the run is a verdict: with check --every, a group that keeps growing is a leak
// even when the program releases it at shutdown; a bounded pool and an unref'd background
// interval are not growth. The peak of live things per group is in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerLine } from './helpers/leakprof.js';
import { checkJson } from './helpers/check.js';

const EVERY = ['--every', '200ms', '--timeout', '120s'];

test('a 60 s timer per request, cleared at shutdown: passes without --every, fails with it at the timer line; the bounded twin passes', async () => {
  const file = 'fixtures/growth/timer-per-request.mjs';
  assert.equal((await checkJson([file])).code, 0);
  const { code, verdict, report } = await checkJson([...EVERY, file]);
  assert.equal(code, 1, JSON.stringify(verdict.violations));
  const growing = verdict.violations.filter((v) => v.growing);
  assert.equal(growing.length, 1, JSON.stringify(verdict.violations));
  assert.equal(`${growing[0].location.file}:${growing[0].location.line}`, `${file}:${markerLine(file, 'LEAK')}`);
  assert.match(growing[0].message, /^leak \(growing\): Timeout 60000ms ref at fixtures\/growth\/timer-per-request\.mjs:\d+, \+[\d,]+\/s for [\d.]+m?s, peak [\d,]+ live — released only at shutdown: /);
  const grew = report.processes[0].grew.find((g) => g.group.type === 'Timeout');
  assert.ok(grew.group.peak > 100 && grew.group.peak <= 3000, JSON.stringify(grew.group.growth));

  const bounded = await checkJson([...EVERY, 'fixtures/growth/bounded.mjs']);
  assert.equal(bounded.code, 0, JSON.stringify(bounded.verdict.violations));
});

test('a keep-alive agent per call, its sockets closed by the server at shutdown: a growing leak at the request line; one shared agent passes', async () => {
  const file = 'fixtures/growth/agent-per-call.mjs';
  const { code, verdict } = await checkJson([...EVERY, file]);
  assert.equal(code, 1, JSON.stringify(verdict.violations));
  const lines = verdict.violations.filter((v) => v.growing).map((v) => `${v.location?.file}:${v.location?.line}`);
  assert.ok(lines.includes(`${file}:${markerLine(file, 'LEAK')}`), JSON.stringify(verdict.violations));
  const shared = await checkJson([...EVERY, 'fixtures/growth/agent-shared.mjs']);
  assert.equal(shared.code, 0, JSON.stringify(shared.verdict.violations));
});
