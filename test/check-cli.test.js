// `leakprof check` as a CI job uses it: exit codes, thresholds, --fail-on, ignore rules,
// baselines, the config file, heap growth, and the reporters (text, --json, --junit, GitHub).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markerLine } from './helpers/leakprof.js';
import { check, checkIn, checkJson, ROOT, where } from './helpers/check.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;
const MIXED = 'fixtures/check/mixed-leaks.mjs';
const ONE = 'fixtures/check/04-never-closed-then-exit.mjs';
const made = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-check-test-'));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const noGithub = { GITHUB_ACTIONS: undefined };

describe('leakprof check', { concurrency: true }, () => {
  test('one actionable line per leak, then the grouped stacks; the workload\'s stdout untouched', async () => {
    const { code, stdout, stderr } = await check([MIXED], { env: noGithub });
    assert.equal(code, 1);
    assert.equal(stdout, 'workload stdout\n');
    const lines = stderr.split('\n').filter((l) => l.startsWith('leak:'));
    assert.deepEqual(lines.sort(), [
      `leak: 1 × TCPSERVERWRAP listening ref, created at ${at(MIXED, 'LEAK server')} — call server.close() when done (and close its open connections)`,
      `leak: 1 × Timeout 60000ms repeat ref, created at ${at(MIXED, 'LEAK interval')} — clearInterval it, or .unref() it if it is background work`,
    ]);
    assert.match(stderr, /^1 @ Timeout 60000ms repeat ref age/m, 'grouped stacks follow');
    assert.match(stderr, /leakprof check: FAIL — 2 violations \(exit 1\)\n$/);
  });

  test('clean workload -> exit 0, stdout untouched', async () => {
    const { code, stdout, stderr } = await check(['fixtures/check/exit-clean.mjs']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'workload stdout\n');
    assert.match(stderr, /leakprof check: ok — no leaks/);
  });

  test('--json: the run report plus a verdict', async () => {
    const { code, verdict, report } = await checkJson([ONE]);
    assert.equal(code, 1);
    assert.equal(report.schema, 'leakprof.report/v2');
    assert.equal(verdict.status, 'leak');
    assert.equal(verdict.exitCode, 1);
    assert.deepEqual(where(verdict), [at(ONE, 'LEAK')]);
    assert.equal(verdict.violations[0].kind, 'handles');
    assert.equal(verdict.violations[0].type, 'TCPSERVERWRAP');
    assert.deepEqual(verdict.totals.find((t) => t.kind === 'handles'), { kind: 'handles', counted: 1, limit: 0, failOn: true });
  });

  test('the workload failed -> its own exit code, and the leak still listed', async () => {
    const file = 'fixtures/check/leak-and-fail.mjs';
    const { code, stderr } = await check([file], { env: noGithub });
    assert.equal(code, 3);
    assert.match(stderr, new RegExp(`^leak: 1 × TCPSERVERWRAP listening ref, created at ${at(file, 'LEAK server')}`, 'm'));
    assert.match(stderr, /the workload failed \(it exited with code 3\); 1 violation listed above too \(exit 3\)/);
    const plain = await check(['fixtures/cli/exit-3.mjs']);
    assert.equal(plain.code, 3);
  });

  test('--max-handles: at the limit passes, over it fails', async () => {
    assert.equal((await check(['--max-handles', '2', MIXED])).code, 0);
    assert.equal((await check(['--max-handles', '1', ONE])).code, 0);
    assert.equal((await check(['--max-handles', '1', MIXED])).code, 1);
  });

  test('--fail-on: kinds left out never fail', async () => {
    assert.equal((await check(['--fail-on', 'heap,async', MIXED])).code, 0);
    assert.equal((await check(['--fail-on', 'handles', MIXED])).code, 1);
    const bad = await check(['--fail-on', 'Sockets', MIXED]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--fail-on: "Sockets" is not a kind \(use handles, async, listeners, fds, heap-growth or a profile's name\)/);
  });

  test('--ignore by type and by Type@glob; an empty rule is a usage error', async () => {
    const one = await checkJson(['--ignore', 'TCPSERVERWRAP', ONE]);
    assert.equal(one.code, 0);
    assert.ok(one.verdict.excluded.some((e) => e.why === 'ignored' && e.reason === 'ignored by rule TCPSERVERWRAP'));
    assert.equal((await check(['--ignore', 'TCPSERVERWRAP', '--ignore', 'Timeout@fixtures/check/*.mjs', MIXED])).code, 0);
    assert.equal((await check(['--ignore', 'TCPSERVERWRAP', '--ignore', 'Timeout@node_modules/**', MIXED])).code, 1);
    const bad = await check(['--ignore', 'Timeout@', MIXED]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is incomplete/);
  });

  test('--baseline: written when missing (exit 0), then only what is new counts', async () => {
    const file = join(tmp(), 'baseline.json');
    const first = await check(['--baseline', file, ONE]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /baseline written to .* \(1 group\(s\) alive now\)/);
    const baseline = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(baseline.schema, 'leakprof.baseline/v2');
    assert.deepEqual(baseline.groups.map((g) => [g.type, g.location, g.count]), [['TCPSERVERWRAP', at(ONE, 'LEAK'), 1]]);
    // Same leak again: known. Another program's leaks: new.
    const again = await checkJson(['--baseline', file, ONE]);
    assert.equal(again.code, 0);
    assert.ok(again.verdict.excluded.some((e) => e.why === 'baseline'));
    const other = await checkJson(['--baseline', file, 'fixtures/check/02-server-at-import-then-exit.cjs']);
    assert.equal(other.code, 1);
    // --update-baseline rewrites it.
    assert.equal((await check(['--baseline', file, '--update-baseline', 'fixtures/check/02-server-at-import-then-exit.cjs'])).code, 0);
    assert.equal((await check(['--baseline', file, 'fixtures/check/02-server-at-import-then-exit.cjs'])).code, 0);
  });

  test('a corrupt baseline: one line, exit 2, the workload not run', async () => {
    const file = join(tmp(), 'baseline.json');
    writeFileSync(file, '{"not": "a baseline"}');
    const { code, stderr, stdout } = await check(['--baseline', file, MIXED]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /is not a leakprof baseline .* --update-baseline/);
  });

  test('leakprof.config.json and package.json "leakprof" hold the same options; flags win', async () => {
    const fixture = join(ROOT, MIXED);
    const dir = tmp();
    writeFileSync(join(dir, 'leakprof.config.json'), JSON.stringify({ maxHandles: 5 }));
    assert.equal((await checkIn(dir, [fixture])).code, 0);
    assert.equal((await checkIn(dir, ['--max-handles', '0', fixture])).code, 1);
    assert.equal((await checkIn(dir, ['--no-config', fixture])).code, 1);

    const pkgDir = tmp();
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: 'x', leakprof: { ignore: ['TCPSERVERWRAP', 'Timeout'] } }));
    assert.equal((await checkIn(pkgDir, [fixture])).code, 0);

    const badDir = tmp();
    writeFileSync(join(badDir, 'leakprof.config.json'), JSON.stringify({ maxHandle: 5 }));
    const bad = await checkIn(badDir, [fixture]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /leakprof\.config\.json: unknown option "maxHandle"/);
  });

  test('--max-heap-growth judges a trend, not two samples: 40 MB loaded at start is start-up (not judged, and said); --fail-on handles leaves the heap out', async () => {
    // The growing cases (a leak released at shutdown, a poll loop, pools) are in growth-verdict.test.js.
    const kept = await checkJson(['--max-heap-growth', '10MB', 'fixtures/check/heap-retained.mjs']);
    assert.equal(kept.code, 0, JSON.stringify(kept.verdict));
    const heap = kept.verdict.totals.find((t) => t.kind === 'heap-growth');
    assert.match(heap.note, /^not judged in pid \d+: \d+ samples after GC, \d+ needed/);
    const samples = kept.report.processes[0].memorySamples;
    assert.ok(samples.length >= 2 && samples[0].gc && samples.at(-1).gc, JSON.stringify(samples));
    assert.ok(samples.at(-1).heapUsed - samples[0].heapUsed > 30 * 1024 * 1024, 'the 40 MB are in the series');
    const text = await check(['--max-heap-growth', '10MB', 'fixtures/check/heap-retained.mjs']);
    assert.match(text.stderr, /^heap: not judged in pid \d+: .*too short a run to tell growth from start-up$/m);
    const handlesOnly = await checkJson(['--max-heap-growth', '10MB', '--fail-on', 'handles', 'fixtures/check/heap-retained.mjs']);
    assert.equal(handlesOnly.verdict.totals.find((t) => t.kind === 'heap-growth').failOn, false);
  });

  test('--junit: one failed testcase per leak, a passing one when clean', async () => {
    const dir = tmp();
    const leaky = join(dir, 'leaky.xml');
    assert.equal((await check(['--junit', leaky, MIXED])).code, 1);
    const xml = readFileSync(leaky, 'utf8');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="leakprof check" tests="2" failures="2"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
    assert.ok(xml.includes(`file="${MIXED}" line="${markerLine(MIXED, 'LEAK interval')}"`), xml);
    assert.match(xml, /<failure type="leak" message="leak: 1 × Timeout 60000ms repeat ref, created at/);
    const clean = join(dir, 'clean.xml');
    assert.equal((await check(['--junit', clean, 'fixtures/check/exit-clean.mjs'])).code, 0);
    assert.match(readFileSync(clean, 'utf8'), /tests="1" failures="0"[\s\S]*<testcase classname="leakprof.check" name="no leaks"/);
  });

  test('GITHUB_ACTIONS=true: one ::error annotation per leak, on stderr; stdout stays the workload\'s', async () => {
    const { code, stdout, stderr } = await check([MIXED], { env: { GITHUB_ACTIONS: 'true' } });
    assert.equal(code, 1);
    assert.equal(stdout, 'workload stdout\n');
    const annotations = stderr.split('\n').filter((l) => l.startsWith('::error'));
    assert.equal(annotations.length, 2, stderr);
    assert.ok(annotations.some((a) => a.startsWith(`::error file=${MIXED},line=${markerLine(MIXED, 'LEAK interval')},col=`) && a.includes(',title=leakprof::leak: 1 × Timeout 60000ms repeat ref')), annotations.join('\n'));
    assert.equal((await check([MIXED], { env: noGithub })).stderr.includes('::error'), false);
    // Paths relative to the repository when check runs in a sub-folder of it (a monorepo package).
    const nested = await check([MIXED], { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: join(ROOT, '..') } });
    const repoRelative = `${ROOT.split('/').filter(Boolean).at(-1)}/${MIXED}`;
    assert.ok(nested.stderr.includes(`::error file=${repoRelative},`), nested.stderr);
  });

  test('--promises / --listeners reach every process\'s collector; check mode collects garbage', async () => {
    const file = 'fixtures/check/print-config.mjs';
    const on = await check(['--promises', '--listeners', file]);
    assert.deepEqual(JSON.parse(on.stdout), { promises: true, listeners: true, gc: true });
    const off = await check([file]);
    assert.deepEqual(JSON.parse(off.stdout), { promises: false, listeners: false, gc: true });
  });

  test('--help documents the exit codes; no command is a usage error', async () => {
    const help = await check(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit code: 0 clean; 1 leak; 124 the workload hung/);
    const none = await check([]);
    assert.equal(none.code, 2);
    const update = await check(['--update-baseline', MIXED]);
    assert.equal(update.code, 2);
    assert.match(update.stderr, /--update-baseline needs a file/);
  });
});

test('API fixture runs under check with the preload\'s collector: a stack even for what came before the first call', async () => {
  const { code, stdout } = await check(['--', process.execPath, 'fixtures/check/api/late-start.mjs']);
  assert.equal(code, 0);
  const out = JSON.parse(stdout);
  assert.deepEqual(out.leaks.map((l) => l.line), [markerLine('fixtures/check/api/late-start.mjs', 'EARLY')]);
});
