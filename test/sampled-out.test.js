// Stacks sampled out under a flood (the --stack-budget ran dry) are counted with the stacked
// groups of their kind, in proportion (src/analyse/sampled-out.ts): one leak reads as its line,
// never as its line plus a "no creation stack" twin, at exit and in growth alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerLine } from './helpers/leakprof.js';
import { checkJson } from './helpers/check.js';
import { shareOut } from '../dist/analyse/sampled-out.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;
const messages = (verdict) => verdict.violations.map((v) => v.message).join('\n');

test('shareOut: in proportion, whole things, summing to the total', () => {
  assert.deepEqual(shareOut(10, [3, 1]), [8, 2]);
  assert.deepEqual(shareOut(5, [1, 1, 1]), [2, 2, 1]);
  assert.deepEqual(shareOut(7, [0, 0]), [7, 0]);
  for (const [total, weights] of [[1000, [7, 13, 1]], [3, [5, 5, 5, 5]], [0, [1, 2]]]) {
    const shares = shareOut(total, weights);
    assert.equal(shares.reduce((a, b) => a + b, 0), total);
    assert.ok(shares.every((s) => Number.isInteger(s) && s >= 0));
  }
});

test('a flood from two lines past a small budget: two violations, ≈ in proportion, 4,000 in all, no stackless twin', async () => {
  const file = 'fixtures/sampled-out/flood-two-lines.mjs';
  const { code, verdict, report } = await checkJson(['--strict', '--stack-budget', '300', '--timeout', '120s', file]);
  assert.equal(code, 1, messages(verdict));
  const groups = report.processes[0].profiles.find((p) => p.name === 'handles').groups.filter((g) => g.type === 'Timeout');
  assert.ok(groups.every((g) => g.frames !== null), `every Timeout group has a stack: ${JSON.stringify(groups.map((g) => [g.count, g.frames && g.top]))}`);
  const stacked = report.processes[0].profiles[0].groups.filter((g) => g.type === 'Timeout' && g.estimated);
  assert.ok(stacked.length >= 1, 'the budget sampled some out: the groups that took them are estimates');
  const byLine = new Map(verdict.violations.filter((v) => v.type === 'Timeout').map((v) => [`${v.location?.file}:${v.location?.line}`, v]));
  assert.equal(byLine.size, 2, messages(verdict));
  const a = byLine.get(at(file, 'LEAK A'));
  const b = byLine.get(at(file, 'LEAK B'));
  assert.ok(a && b, messages(verdict));
  assert.equal(a.count + b.count, 4000);
  // Three in four from A: a generous bound on a proportional estimate from a few hundred stacks.
  assert.ok(a.count >= 2200 && a.count <= 3800, messages(verdict));
  assert.match(a.message, /^leak: ≈\d+ × Timeout 1000000ms unref, created at /);
  assert.ok(!/no creation stack/.test(messages(verdict)), messages(verdict));
});

test('a timer per request past a small budget, with --every: one growing leak at the timer line', async () => {
  const file = 'fixtures/growth/timer-per-request.mjs';
  const { code, verdict } = await checkJson(['--every', '200ms', '--stack-budget', '100', '--timeout', '120s', file]);
  assert.equal(code, 1, messages(verdict));
  const growing = verdict.violations.filter((v) => v.growing);
  assert.equal(growing.length, 1, messages(verdict));
  assert.equal(`${growing[0].location?.file}:${growing[0].location?.line}`, at(file, 'LEAK'));
});
