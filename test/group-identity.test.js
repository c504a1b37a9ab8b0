// "Which group is this" has one answer (src/transport/group-identity.ts): a real child's report,
// the baseline `check` writes from that same run, the report's diff against itself and its pprof
// file agree on how many groups there are and which count belongs to which. Intervals armed
// through two paths of a library from one line of the user's are one group everywhere; one helper
// of the user's called from two lines is two groups everywhere, though both share their top frame.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { ROOT, UNTIL_IDLE, leakprofCli, markerLine } from './helpers/leakprof.js';

const FIXTURE = 'fixtures/group-identity/app.mjs';
const dir = mkdtempSync(join(tmpdir(), 'leakprof-group-identity-'));
const APP = join(dir, 'app.mjs');
const REPORT = join(dir, 'report.json');
const BASELINE = join(dir, 'baseline.json');
const PPROF = join(dir, 'handles.pb.gz');
after(() => rmSync(dir, { recursive: true, force: true }));

const at = (marker) => `${APP}:${markerLine(FIXTURE, marker)}`;
/** The user's frames of a group, innermost first, `file:line` each: what tells the groups apart here. */
const userLines = (frames) => frames.filter((f) => f.kind === 'user').map((f) => `${f.file}:${f.line}`);
const EXPECTED = () =>
  new Map([
    [[at('LIBRARY')].join(' < '), 5],
    [[at('HELPER'), at('CALLER-A')].join(' < '), 3],
    [[at('HELPER'), at('CALLER-B')].join(' < '), 1],
  ]);

let report;
let check;
before(async () => {
  // The library is a dependency only under node_modules: the fixture is laid out as an installed package.
  const lib = join(dir, 'node_modules', 'timer-lib');
  mkdirSync(lib, { recursive: true });
  copyFileSync(join(ROOT, FIXTURE), APP);
  copyFileSync(join(ROOT, 'fixtures/group-identity/timer-lib.mjs'), join(lib, 'index.mjs'));
  writeFileSync(join(lib, 'package.json'), JSON.stringify({ name: 'timer-lib', type: 'module', main: 'index.mjs' }));
  // One run: its report, the baseline written from it, and its pprof.
  check = await leakprofCli(['check', '-o', REPORT, '--pprof', PPROF, '--baseline', BASELINE, ...UNTIL_IDLE, APP]);
  report = JSON.parse(readFileSync(REPORT, 'utf8'));
});

function handles() {
  assert.equal(report.processes.length, 1, check.stderr);
  const profile = report.processes[0].profiles.find((p) => p.name === 'handles');
  return profile.groups.filter((g) => !g.internal);
}

test('the report: a library\'s two paths from one line are one group; one helper from two lines is two', () => {
  assert.match(check.stderr, /baseline written to .* \(3 group\(s\) alive now\)/);
  const groups = handles();
  assert.deepEqual(new Map(groups.map((g) => [userLines(g.frames).join(' < '), g.count])), EXPECTED());
  const library = groups.find((g) => g.count === 5);
  assert.ok(library.frames.some((f) => f.kind === 'dependency' && f.file.includes('node_modules/timer-lib/')), 'the library\'s frames are on its stack');
});

test('the baseline written from that run has exactly the report\'s groups and counts', () => {
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));
  assert.equal(baseline.schema, 'leakprof.baseline/v2');
  const groups = handles();
  assert.equal(baseline.groups.length, groups.length);
  const lines = (stack) => stack.map((w) => w.replace(/:\d+$/, ''));
  assert.deepEqual(new Map(baseline.groups.map((g) => [lines(g.stack).join(' < '), g.count])), EXPECTED());
});

test('the report against itself: every group paired with itself, none changed', async () => {
  const { code, stdout, stderr } = await leakprofCli(['report', REPORT, '--base', REPORT, '--json']);
  assert.equal(code, 0, stderr);
  const diff = JSON.parse(stdout);
  const profile = diff.profiles.find((p) => p.profile === 'handles');
  const groups = report.processes[0].profiles.find((p) => p.name === 'handles').groups;
  assert.equal(profile.unchanged, groups.length);
  assert.deepEqual(profile.changes, []);
});

test('the pprof of that run: one sample per group, with the group\'s count', () => {
  const p = Profile.decode(gunzipSync(readFileSync(PPROF)));
  const str = (i) => p.stringTable.strings[Number(i)];
  const functions = new Map(p.function.map((f) => [String(f.id), f]));
  const locations = new Map(p.location.map((l) => [String(l.id), l]));
  const samples = new Map();
  for (const s of p.sample) {
    const lines = s.locationId.flatMap((id) => locations.get(String(id)).line.map((ln) => `${str(functions.get(String(ln.functionId)).filename)}:${Number(ln.line)}`));
    const user = lines.filter((l) => l.startsWith(`${APP}:`)).join(' < ');
    assert.ok(!samples.has(user), `two samples for ${user}`);
    samples.set(user, Number(s.value[0]));
  }
  assert.deepEqual(samples, EXPECTED());
});

test('a later check with that baseline: the same groups are known; one moved between the helper\'s callers is new', async () => {
  const same = await leakprofCli(['check', '--json', '--baseline', BASELINE, ...UNTIL_IDLE, APP]);
  assert.deepEqual(JSON.parse(same.stdout).verdict.violations, [], same.stderr);
  // Same total, same top line: only a baseline that keeps the report's groups sees that the second caller made one more.
  const moved = await leakprofCli(['check', '--json', '--baseline', BASELINE, ...UNTIL_IDLE, APP], { env: { GROUP_IDENTITY_MOVE: '1' } });
  const violations = JSON.parse(moved.stdout).verdict.violations;
  assert.equal(violations.length, 1, moved.stderr);
  assert.equal(violations[0].count, 1);
  assert.equal(`${violations[0].location.file}:${violations[0].location.line}`, at('HELPER'));
});

test('`leakprof top` over that report: one row per group, each caller of the helper its own', async () => {
  const { GrowthView } = await import('../dist/live/growth-view.js');
  const view = new GrowthView();
  view.add(report, 0);
  const rows = new Map(view.rows.filter((r) => r.profile === 'handles').map((r) => [r.where, r.count]));
  assert.deepEqual(
    rows,
    new Map([
      [at('LIBRARY'), 5],
      [`${at('HELPER')} < ${at('CALLER-A')}`, 3],
      [`${at('HELPER')} < ${at('CALLER-B')}`, 1],
    ]),
  );
});
