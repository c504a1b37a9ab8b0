// A main script that only a require hook can run (ts-node's `.ts`, @babel/register, any
// `require.extensions` hook) runs under leakprof as it runs bare. Node 20 and 21 send the main
// script through the ES module loader whenever there is an --import, which leakprof's preload
// is, and that loader refuses an extension it does not know (ERR_UNKNOWN_FILE_EXTENSION, where
// bare Node runs the script): src/collect/cjs-main.cts. And a test file such a hook compiled keeps
// its lines after mocha lets go of its functions (src/collect/source-maps.ts reads its map while V8
// still has the script). Each case spawns the real CLI on
// fixtures/require-hook/ and compares with the bare run; leaks are reported at the script's own
// lines, through the inline source map the hook leaves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkToFile } from './helpers/check.js';
import { markerLine, spawnCollect } from './helpers/leakprof.js';

const F = 'fixtures/require-hook';

const spawnHere = (args) => spawnCollect(process.execPath, args);
const check = (args) => checkToFile([process.execPath, ...args], { timeout: '120s' });

const messages = (verdict) => verdict.violations.map((v) => v.message).join('\n') || '(no violations)';

describe('a main script only a require hook can run', { concurrency: true }, () => {
  const leaky = `${F}/leaky.hooked`;
  const line = `${leaky}:${markerLine(leaky, 'LEAK')}`;
  for (const [how, args] of [
    ['node -r hook.cjs script', ['-r', `./${F}/hook.cjs`, leaky]],
    ["a runner's bin that calls Module.runMain (as ts-node's does)", [`${F}/run.cjs`, leaky]],
  ]) {
    test(`${how}: runs as bare (same output, it is the main module), and its server is a leak at the script's own line`, async () => {
      const plain = await spawnHere(args);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /^listening, main is this file$/m);
      const checked = await check(args);
      assert.ok(checked.stdout.includes(plain.stdout), `bare:\n${plain.stdout}\nunder check:\n${checked.stdout}\n${checked.stderr}`);
      assert.equal(checked.code, 1, checked.stderr);
      assert.ok(
        checked.verdict.violations.some((v) => v.type === 'TCPSERVERWRAP' && v.location && `${v.location.file}:${v.location.line}` === line),
        `expected the server at ${line}:\n${messages(checked.verdict)}`,
      );
    });
  }

  test("a mocha test file a require hook compiled, its functions let go of by mocha after the run, is reported at its own lines", async () => {
    const file = `${F}/server.spec.hooked`;
    const args = ['node_modules/.bin/mocha', '--exit', '--timeout', '0', '--require', `./${F}/hook.cjs`, '--extension', 'hooked', file];
    const checked = await check(args);
    assert.equal(checked.code, 1, checked.stderr);
    const at = `${file}:${markerLine(file, 'LEAK')}`;
    const servers = checked.verdict.violations.filter((v) => v.type === 'TCPSERVERWRAP');
    assert.deepEqual(servers.map((v) => `${v.location?.file}:${v.location?.line} ${v.test}`), [`${at} server > listens`], messages(checked.verdict));
  });

  test('a hooked script that throws: the same error and exit code as bare', async () => {
    const args = [`${F}/run.cjs`, `${F}/throws.hooked`];
    const plain = await spawnHere(args);
    const checked = await check(args);
    assert.equal(plain.code, 1);
    assert.equal(checked.verdict.exitCode ?? checked.code, checked.code);
    assert.equal(checked.code, 1, checked.stderr);
    const error = /^Error: thrown by throws\.hooked$/m;
    assert.match(plain.stderr, error);
    assert.match(checked.stderr, error);
    assert.doesNotMatch(checked.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
