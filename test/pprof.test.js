// pprof in and out: `leakprof report` against what `go tool pprof` printed for profiles other
// profilers wrote, `run --pprof` on a real leaky child, `--base` between the leaky and the fixed
// twin, and corrupt input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { ROOT, leakprofCli, markerLine, processFor, runLeakprof } from './helpers/leakprof.js';

const TESTDATA = join(ROOT, 'fixtures', 'pprof-testdata');
const PROFILES = readdirSync(TESTDATA).filter((f) => /\.pb(\.gz)?$/.test(f));
// go tool pprof printed times in UTC.
const UTC = { env: { TZ: 'UTC' } };

/** What go tool pprof printed, minus its warnings about binaries it could not find (they go to stderr in leakprof). */
function goOutput(file) {
  return readFileSync(join(TESTDATA, file), 'utf8')
    .split('\n')
    .filter((line) => !/^(Local symbolization failed|Some binary filenames|Try setting PPROF_BINARY_PATH|Main binary filename)/.test(line));
}

function traces(lines) {
  const blocks = [];
  for (const line of lines) {
    if (line.startsWith('-----------+')) blocks.push([]);
    else if (blocks.length > 0) blocks[blocks.length - 1].push(line);
  }
  return blocks.filter((b) => b.length > 0);
}

test('the testdata is all there (CI has only this repository)', () => {
  assert.deepEqual(PROFILES.sort(), [
    'cppbench.cpu.pb',
    'go.cpu.pb.gz',
    'go.crc32.cpu.pb',
    'go.goroutine.pb.gz',
    'go.heap.pb.gz',
    'gobench.cpu.pb',
    'java.cpu.pb',
    'leakprof.handles-diff.pb.gz',
    'leakprof.handles.pb.gz',
    'leakprof.heap.pb.gz',
  ]);
});

for (const name of PROFILES) {
  const stem = name.replace(/\.pb(\.gz)?$/, '');

  test(`report --top ${name} agrees with go tool pprof -top`, async () => {
    const { code, stdout, stderr } = await leakprofCli(['report', '--top', join(TESTDATA, name)], UTC);
    assert.equal(code, 0, stderr);
    const ours = stdout.trimEnd().split('\n');
    const go = goOutput(`${stem}.top.txt`).filter((l) => l !== '');
    const line = (lines, prefix) => lines.find((l) => l.startsWith(prefix));
    assert.equal(line(ours, 'Type: '), line(go, 'Type: '), 'sample type');
    assert.equal(line(ours, 'Showing nodes'), line(go, 'Showing nodes'), 'totals');
    const rows = (lines) => lines.slice(lines.findIndex((l) => l.trim().startsWith('flat')) + 1);
    assert.deepEqual(rows(ours).slice(0, 5), rows(go).slice(0, 5), 'top 5 rows');
    assert.deepEqual(ours, go, 'the whole -top output');
  });

  test(`report --traces ${name} agrees with go tool pprof -traces`, async () => {
    const { code, stdout, stderr } = await leakprofCli(['report', '--traces', join(TESTDATA, name)], UTC);
    assert.equal(code, 0, stderr);
    const ours = traces(stdout.split('\n'));
    const go = traces(goOutput(`${stem}.traces.txt`));
    assert.ok(go.length >= 1);
    assert.deepEqual(ours.slice(0, 3), go.slice(0, 3), 'first traces');
    assert.equal(ours.length, go.length, 'number of traces');
  });
}

test('--sample-index picks the other value: samples (a count) instead of cpu time', async () => {
  const { code, stdout } = await leakprofCli(['report', '--sample-index', 'samples', join(TESTDATA, 'cppbench.cpu.pb')]);
  assert.equal(code, 0);
  assert.match(stdout, /^Type: samples$/m);
  // 7.12s at the 10ms period of the profile: 712 samples.
  assert.match(stdout, /^Showing nodes accounting for 712, 100% of 712 total$/m);
  const bad = await leakprofCli(['report', '--sample-index', 'bogus', join(TESTDATA, 'cppbench.cpu.pb')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /samples, cpu/);
});

test('--nodecount keeps the top rows and says so, as -nodecount does', async () => {
  const go = goOutput('java.cpu.top.txt').filter((l) => l !== '');
  const goRows = go.slice(go.findIndex((l) => l.trim().startsWith('flat')) + 1);
  const { code, stdout } = await leakprofCli(['report', '--nodecount', '5', join(TESTDATA, 'java.cpu.pb')]);
  assert.equal(code, 0);
  const ours = stdout.trimEnd().split('\n');
  assert.ok(ours.includes(`Showing top 5 nodes out of ${goRows.length}`), stdout);
  assert.deepEqual(ours.slice(-5), goRows.slice(0, 5));
});

const LEAKY = 'fixtures/client-per-request/leaky.mjs';
const FIXED = 'fixtures/client-per-request/fixed.mjs';

// One real run of the leaky fixture serves both tests below: its JSON on stdout, in leaky.json, and its pprof file.
// Every temp folder this file makes, removed when it is done.
const made = [];
const tempDir = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const RUN_DIR = tempDir('leakprof-pprof-');
let leakyRun;
function runLeakyOnce() {
  leakyRun ??= runLeakprof(['--pprof', join(RUN_DIR, 'leaky.pb.gz'), '-o', join(RUN_DIR, 'leaky.json'), LEAKY]);
  return leakyRun;
}

test('run --pprof writes a .pb.gz that decodes back (pprof-format and leakprof report) with the same totals and the leaky line', async () => {
  const file = join(RUN_DIR, 'leaky.pb.gz');
  const { report, stderr } = await runLeakyOnce();
  assert.match(stderr, new RegExp(`pprof written to ${file.replace(/[.]/g, '\\.')}`));
  const handles = processFor(report, LEAKY).profiles.find((p) => p.name === 'handles');
  const raw = readFileSync(file);
  assert.deepEqual([raw[0], raw[1]], [0x1f, 0x8b], 'gzipped, as go tool pprof expects .pb.gz');

  const p = Profile.decode(gunzipSync(raw));
  const str = (i) => p.stringTable.strings[Number(i)];
  assert.deepEqual(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`), ['handles/count']);
  assert.equal(p.sample.reduce((sum, s) => sum + Number(s.value[0]), 0), handles.total);
  assert.equal(p.sample.length, handles.groups.length, 'one sample per group');
  const leakLine = markerLine(LEAKY, 'LEAK');
  const functions = new Map(p.function.map((f) => [String(f.id), f]));
  const leakLocation = p.location.find((l) => l.line.some((ln) => Number(ln.line) === leakLine && str(functions.get(String(ln.functionId)).filename) === LEAKY));
  assert.ok(leakLocation, `a location at ${LEAKY}:${leakLine}`);
  // Leaf first: the leaky line is a frame of the TCPWRAP samples, not their leaf (Node's own frames are under it).
  const leakSamples = p.sample.filter((s) => s.locationId.map(String).includes(String(leakLocation.id)));
  assert.ok(leakSamples.reduce((sum, s) => sum + Number(s.value[0]), 0) >= 20);
  const labels = (s) => Object.fromEntries(s.label.filter((l) => Number(l.str)).map((l) => [str(l.key), str(l.str)]));
  assert.ok(leakSamples.some((s) => labels(s).type === 'TCPWRAP'));
  assert.deepEqual(p.location.length, new Set(p.location.map((l) => l.line.map((ln) => `${ln.functionId}:${ln.line}:${ln.column}`).join())).size, 'locations deduplicated');

  const top = await leakprofCli(['report', '--json', file]);
  assert.equal(top.code, 0, top.stderr);
  const [table] = JSON.parse(top.stdout);
  assert.equal(table.total, handles.total);
  assert.ok(table.rows.some((r) => r.name === 'fetchOnce' && r.cum >= 20), 'fetchOnce carries the leak in -top');
});

test('report --base: the leaky run against the fixed one shows the leaky group as added', async () => {
  const dir = tempDir('leakprof-base-');
  const leaky = join(RUN_DIR, 'leaky.json');
  const fixed = join(dir, 'fixed.json');
  const [, run] = await Promise.all([runLeakyOnce(), leakprofCli(['run', '-o', fixed, FIXED])]);
  assert.equal(run.code, 0, run.stderr);
  const leakLine = markerLine(LEAKY, 'LEAK');

  const json = await leakprofCli(['report', leaky, '--base', fixed, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const diff = JSON.parse(json.stdout);
  const handles = diff.profiles.find((p) => p.profile === 'handles');
  const added = handles.changes.find((c) => c.change === 'added' && c.location?.startsWith(`${LEAKY}:${leakLine}:`));
  assert.ok(added, `an added group at the LEAK line; changes: ${JSON.stringify(handles.changes.map((c) => [c.change, c.location]))}`);
  assert.equal(added.baseCount, 0);
  assert.ok(added.delta >= 20);

  const text = await leakprofCli(['report', leaky, '--base', fixed]);
  assert.match(text.stdout, new RegExp(`\\+\\d+ added .*\\n#\\t${LEAKY.replace(/[.]/g, '\\.')}:${leakLine}:`));

  // The same difference as a pprof profile: the leak stays positive, what only the fixed run had is negative.
  const out = join(dir, 'diff.pb.gz');
  const pprof = await leakprofCli(['report', leaky, '--base', fixed, '--pprof', out]);
  assert.equal(pprof.code, 0, pprof.stderr);
  const p = Profile.decode(gunzipSync(readFileSync(out)));
  const values = p.sample.map((s) => Number(BigInt.asIntN(64, BigInt(s.value[0]))));
  assert.ok(values.some((v) => v >= 20));
  // Equal groups cancel (no age label keeps them apart): only what shrank or went comes out negative.
  const fewer = handles.changes.some((c) => c.change === 'gone' || c.change === 'shrunk');
  if (fewer) assert.ok(values.some((v) => v < 0), 'groups the base had more of come out negative');
  const top = await leakprofCli(['report', out, '--top']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /^Type: handles$/m);
});

test('corrupt or unknown input: one line on stderr, exit 2', async () => {
  const dir = tempDir('leakprof-bad-');
  const cases = {
    'garbage.pb': Buffer.from('this is not a profile\n'),
    'truncated.pb.gz': readFileSync(join(TESTDATA, 'java.cpu.pb')).subarray(0, 0), // empty
    'cut.pb.gz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]),
    'other.json': Buffer.from('{"hello": "world"}\n'),
    'broken.json': Buffer.from('{"schema": "leakprof.report/v2", '),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const { code, stderr, stdout } = await leakprofCli(['report', file]);
    assert.equal(code, 2, `${name}: ${stderr}`);
    assert.equal(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: one line, got:\n${stderr}`);
    assert.match(lines[0], new RegExp(`^leakprof: .*${name.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(stderr, /\n\s+at /);
  }
  const missing = await leakprofCli(['report', join(dir, 'nope.pb.gz')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^leakprof: cannot read .*nope\.pb\.gz: ENOENT\n$/);
});
