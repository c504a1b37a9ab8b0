// TypeScript run through tsx: locations map back to the .ts lines through the source maps
// tsx registers (no --enable-source-maps needed), whether tsx is a loader or the command.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeGroups, handleGroups, leaks, location, markerLine, processFor, ROOT, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

const file = 'fixtures/typescript/interval.ts';
const tsxCli = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

function assertIntervalAtTsLine(report) {
  const proc = processFor(report, file);
  const intervals = leaks(proc).filter((g) => g.type === 'Timeout');
  assert.equal(intervals.length, 1, describeGroups(handleGroups(proc)));
  const [interval] = intervals;
  assert.equal(interval.label, 'Timeout 1000ms repeat');
  assert.equal(location(interval), `${file}:${markerLine(file, 'LEAK')}`);
  assert.equal(interval.top.column, 7);
  assert.match(interval.source, /setInterval\(\(\) => onTick\(\+\+count\), everyMs\)/);
}

describe('TypeScript through tsx', { concurrency: true }, () => {
  test('node --import tsx: the interval is at its .ts line', async () => {
    const { report, code } = await runLeakprof([...UNTIL_IDLE, '--', process.execPath, '--import', 'tsx', file]);
    assert.equal(code, 124);
    assertIntervalAtTsLine(report);
  });

  test('the tsx command (which runs the script in a child node): the interval is at its .ts line', async () => {
    const { report, code } = await runLeakprof([...UNTIL_IDLE, '--', process.execPath, tsxCli, file]);
    assert.equal(code, 124);
    assertIntervalAtTsLine(report);
  });
});
