// A promise- and callback-heavy node:test file: what per-test attribution (AsyncLocalStorage propagation) costs where it costs most.
import { test } from 'node:test';
test('a million awaits', async () => {
  for (let i = 0; i < 1_000_000; i++) await null;
});
test('100k immediates', async () => {
  for (let i = 0; i < 100_000; i++) await new Promise((r) => setImmediate(r));
});
