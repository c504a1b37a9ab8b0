// "Is this the test runner's or the package manager's own?" is answered by where a frame's file is
// (src/analyse/frames.ts): the runner's own packages, however they are installed, and never a
// library the runner happened to call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameKind, toolOf, toolOwner } from '../dist/analyse/frames.js';

const frame = (file) => ({ function: 'f', file, line: 1, column: 1, kind: frameKind(file) });

test('toolOf: the runner or package manager whose own file it is, however installed', () => {
  const cases = [
    ['/p/node_modules/@vitest/runner/dist/chunk-artifact.js', 'vitest'],
    ['/p/node_modules/vitest/dist/workers/forks.js', 'vitest'],
    ['/p/node_modules/.pnpm/@vitest+runner@4.1.0/node_modules/@vitest/runner/dist/index.js', 'vitest'],
    ['/p/node_modules/jest-circus/build/runner.js', 'jest'],
    ['/p/node_modules/@jest/core/build/index.js', 'jest'],
    ['/p/node_modules/mocha/lib/runnable.js', 'mocha'],
    ['node:internal/test_runner/test', 'node:test'],
    ['/usr/lib/node_modules/npm/node_modules/@npmcli/package-json/lib/read-package.js', 'npm'],
    ['/home/u/.cache/node/corepack/v1/pnpm/9.1.0/dist/pnpm.cjs', 'pnpm'],
    ['/home/u/.cache/node/corepack/yarn/1.22.22/lib/cli.js', 'yarn'],
    ['/p/.yarn/releases/yarn-4.1.0.cjs', 'yarn'],
    ['/p/node_modules/pg/lib/client.js', undefined],
    ['/p/node_modules/jestify/index.js', undefined],
    ['/p/test/vitest.test.js', undefined],
    ['/p/src/npm.js', undefined],
    ['node:internal/timers', undefined],
  ];
  assert.deepEqual(cases.map(([file]) => [file, toolOf(file)]), cases);
});

test('a package manager run from corepack\'s cache or a checked-in yarn release is not the user\'s code', () => {
  assert.equal(frameKind('/home/u/.cache/node/corepack/v1/pnpm/9.1.0/dist/pnpm.cjs'), 'dependency');
  assert.equal(frameKind('/p/.yarn/releases/yarn-4.1.0.cjs'), 'dependency');
  assert.equal(frameKind('/p/test/a.test.js'), 'user');
});

test('toolOwner: the code nearest the creation decides, and any frame of the user\'s makes it the user\'s', () => {
  const timers = frame('node:timers');
  const runner = frame('/p/node_modules/@vitest/runner/dist/index.js');
  const library = frame('/p/node_modules/pg/lib/client.js');
  const user = frame('/p/test/a.test.js');
  assert.equal(toolOwner([timers, runner]), 'vitest');
  assert.equal(toolOwner([frame('node:internal/fs/promises'), frame('/usr/lib/node_modules/npm/lib/npm.js')]), 'npm');
  assert.equal(toolOwner([timers, frame('node:internal/test_runner/test'), frame('node:internal/test_runner/harness')]), 'node:test');
  // beforeEach(db.connect): the library is nearer than the runner that called it.
  assert.equal(toolOwner([timers, library, runner]), undefined);
  assert.equal(toolOwner([timers, runner, user]), undefined);
  assert.equal(toolOwner([timers]), undefined);
});
