import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StackBudget } from '../../dist/collect/stack-budget.js';

/** Takes until the bucket says no (no refill can happen within a few microseconds at this rate). */
function drain(budget) {
  let n = 0;
  while (budget.take()) n++;
  return n;
}

test('stack budget: a nominal stack costs one token, a deep one what it took, capped', () => {
  const cheap = new StackBudget(1, 100);
  for (let i = 0; i < 10; i++) {
    assert.equal(cheap.take(), true);
    cheap.charge(0.003); // 3 µs: within the nominal cost, nothing extra
  }
  assert.equal(drain(cheap), 90);

  const deep = new StackBudget(1, 100);
  assert.equal(deep.take(), true);
  deep.charge(0.015); // 15 µs: three tokens in all
  assert.equal(drain(deep), 97);

  const cold = new StackBudget(1, 100);
  assert.equal(cold.take(), true);
  cold.charge(5); // a cold first capture (5 ms) costs at most five tokens
  assert.equal(drain(cold), 95);
});
