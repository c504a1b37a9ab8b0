// leakprof's handle tracking leaves promises alone where Node lets it (trackPromises: false, or
// the hook's own switch on Node 22): Node then installs no promise hook of its own, so V8 keeps
// its promise fast paths (a poll loop ran ~4x slower under any promise hook), and what
// async_hooks says inside the workload's promise reactions is what it says bare. Node 20 has no
// switch: there Node gives every promise an async id once any async hook is enabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { BIN, ROOT } from './helpers/leakprof.js';

const { nodeTracksPromises } = createRequire(import.meta.url)('../dist/collect/resource-hook.cjs');
const FIXTURE = 'fixtures/untouched/promise-ids.mjs';

function idsSeen(args) {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const name of ['FORCE_COLOR', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) delete env[name];
  const out = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').find((line) => line.startsWith('[')));
}

for (const flags of [[], ['--promises']]) {
  test(`run ${flags.join(' ') || '(default mode)'}: promise reactions see the async ids they see bare`, { skip: nodeTracksPromises && `Node ${process.version} has no switch to keep promises out of an async hook` }, () => {
    const bare = idsSeen([FIXTURE]);
    const under = idsSeen([BIN, 'run', '--no-summary', ...flags, FIXTURE]);
    assert.deepEqual(bare.map(([where]) => where), ['then', 'await']);
    assert.deepEqual(under, bare);
  });
}

test('Node 20 has no switch: the hook is enabled without promise init events instead', { skip: !nodeTracksPromises && 'this Node has the switch' }, () => {
  // The ids differ there (Node's before hook gives each reaction's promise one): said, not hidden.
  const bare = idsSeen([FIXTURE]);
  const under = idsSeen([BIN, 'run', '--no-summary', FIXTURE]);
  assert.deepEqual(under.map(([where]) => where), ['then', 'await']);
  assert.notDeepEqual(under, bare);
});
