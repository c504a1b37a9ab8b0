// Whose frame this is: one answer (src/collect/frame-owner.ts) for the collector and the report.
// leakprof's own code is all it ships but the built-in workload, as built (dist/) and as its
// source maps name it (src/…ts); everything else is the user's, a dependency's or Node's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { frameOwner, isOwnFile, isUserFile } from '../../dist/collect/frame-owner.js';
import { frameKind } from '../../dist/analyse/frames.js';
import { ROOT } from '../helpers/leakprof.js';

const cases = [
  [join(ROOT, 'dist/collect/runners/mocha.js'), 'leakprof'],
  [pathToFileURL(join(ROOT, 'dist/collect/test-context.js')).href, 'leakprof'],
  [join(ROOT, 'dist/check/verify.js'), 'leakprof'],
  [join(ROOT, 'src/collect/runners/mocha.ts'), 'leakprof'],
  [join(ROOT, 'dist/workload/main.js'), 'user'],
  [join(ROOT, 'src/workload/main.ts'), 'user'],
  [join(ROOT, 'fixtures/source-maps/poller.js'), 'user'],
  [join(ROOT, 'node_modules/mocha/lib/runner.js'), 'dependency'],
  ['/elsewhere/node_modules/leakprof-like/dist/collect/x.js', 'dependency'],
  ['node:internal/timers', 'node'],
  ['node:<builtin>', 'node'],
  ['<anonymous>', 'user'],
];

test('each frame has one owner, and the report says the same as the collector', () => {
  for (const [file, owner] of cases) {
    assert.equal(frameOwner(file), owner, file);
    assert.equal(frameKind(file), owner, file);
    assert.equal(isUserFile(file), owner === 'user', file);
    assert.equal(isOwnFile(file), owner === 'leakprof', file);
  }
});
