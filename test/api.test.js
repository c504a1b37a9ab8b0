// The public API, imported by the package's name (package.json "exports"), each export used once
// for real: run a real child and read its report back, render it, write it as pprof; in this
// process, snapshot / verifyNone / trackLeaks and a profile of the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import * as api from 'leakprof';
import { LeakError, profile, readReport, renderReport, run, snapshot, toPprof, trackLeaks, verifyNone } from 'leakprof';
import { markerLine, ROOT } from './helpers/leakprof.js';

const OWN = 'fixtures/profiles/own-profile.mjs';

test('the public surface: what a user needs, not the CLI\'s helpers', () => {
  for (const name of ['run', 'runCheck', 'snapshot', 'verifyNone', 'trackLeaks', 'profile', 'readReport', 'renderReport', 'toPprof', 'startTracking', 'checkpoint', 'findHeapLeaks', 'LeakError']) {
    assert.equal(typeof api[name], 'function', name);
  }
  for (const gone of ['formatBytes', 'parseBytes', 'parseDuration', 'formatDuration', 'resolvePolicy', 'judge']) assert.equal(api[gone], undefined, gone);
});

test('run() a real child, renderReport() it, toPprof() it, readReport() it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-api-'));
  try {
    const { report, exitCode } = await run({ command: [process.execPath, OWN], cwd: ROOT, stdio: 'ignore' });
    assert.equal(exitCode, 0);
    const proc = report.processes.find((p) => p.argv[1]?.endsWith(OWN));
    assert.ok(proc, JSON.stringify(report.processes.map((p) => p.argv)));
    const text = renderReport(report);
    assert.match(text, new RegExp(`^2 @ db-connections \\{pool=reports\\} added age .*\\n#\\tlabels: pool=reports\\n#\\t${OWN.replace(/[./]/g, '\\$&')}:${markerLine(OWN, 'LEAK')}:`, 'm'));
    const files = toPprof(report);
    const own = files.find((f) => f.profile === 'db-connections' && f.pid === proc.pid);
    assert.equal(own?.name, `${proc.pid}.db-connections.pb.gz`);
    const decoded = PprofProfile.decode(gunzipSync(own.bytes));
    assert.equal(decoded.sample.reduce((n, s) => n + Number(s.value[0]), 0), 2);
    const saved = join(dir, 'report.json');
    writeFileSync(saved, JSON.stringify(report));
    assert.deepEqual(readReport(saved), JSON.parse(JSON.stringify(report)));
    const pb = join(dir, own.name);
    writeFileSync(pb, own.bytes);
    assert.throws(() => readReport(pb), (error) => /a pprof profile, not a leakprof report/.test(error.message) && !error.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in this process: snapshot(), verifyNone() against it, trackLeaks(), and a profile of our own', async () => {
  const before = snapshot();
  assert.ok(before.profiles.some((p) => p.name === 'handles'), 'a process report');
  const timer = setInterval(() => {}, 1000); // LEAK interval
  await assert.rejects(verifyNone({ baseline: before, settle: 0 }), (error) => error instanceof LeakError && error.leaks.length === 1 && error.leaks[0].type === 'Timeout');
  clearInterval(timer);
  const { verdict } = await verifyNone({ baseline: before });
  assert.equal(verdict.status, 'clean');
  // The collector snapshot() started is the one profile() finds.
  const items = profile('api-test-items');
  const kept = {};
  const { leaks, value } = await trackLeaks(() => {
    items.add(kept);
    return 'added';
  });
  assert.equal(value, 'added');
  assert.equal(items.count, 1);
  assert.deepEqual(leaks.map((l) => [l.kind, l.count]), [['api-test-items', 1]]);
  assert.match(leaks[0].message, /^leak \(api-test-items\): 1 × api-test-items added, created at test\/api\.test\.js:\d+/);
  assert.equal(items.remove(kept), true);
  assert.equal((await trackLeaks(() => items.remove(kept))).leaks.length, 0);
});
