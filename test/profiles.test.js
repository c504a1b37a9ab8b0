// Profiles as one concept: each source declares its descriptor once (name, sample types and
// units, whether its items hold the process, how check judges it), the descriptor travels with
// the profile, and analyse, the writers and the judge work from it. Real children, real reports.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePprof } from '../dist/report/pprof-proto.js';
import { describeGroups, leakprofCli, location, markerLine, processFor, runLeakprof, spawnCollect } from './helpers/leakprof.js';

const dir = mkdtempSync(join(tmpdir(), 'leakprof-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `node <args>` bare (no leakprof), cwd = the repository: exit code and output. */
const nodeRun = (args) => spawnCollect(process.execPath, args);

/** The last line of stderr that is a JSON object: what a fixture printed about itself. */
function printed(stderr) {
  const line = stderr.split('\n').reverse().find((l) => l.startsWith('{'));
  assert.ok(line, `the fixture printed nothing:\n${stderr}`);
  return JSON.parse(line);
}

test('run --heap: verifyNone() in the child does not judge the heap profile (heap growth has its own kind)', async () => {
  // Before: the heap profile's groups counted against a limit of 0 (and were printed as bytes), so verifyNone threw.
  const { code, stderr } = await leakprofCli(['run', '--heap', 'fixtures/profiles/verify-under-heap.mjs']);
  assert.equal(code, 0, stderr);
  const out = printed(stderr);
  assert.equal(out.threw, undefined, `verifyNone threw: ${out.message}`);
  assert.equal(out.status, 'clean');
  assert.deepEqual(out.totals.map((t) => t.kind), ['handles'], 'the heap profile is reported, never judged');
  assert.doesNotMatch(stderr, /heap growth: .*limit 0B/);
  assert.match(stderr, /heap profile: total [\d.]+[KM]?B live/, 'and it is still in the report');
});

test('every profile carries its descriptor into the JSON report and the pprof files', async () => {
  const pprofDir = join(dir, 'heap-pprof');
  const { report, code } = await runLeakprof(['--heap', '--pprof', pprofDir, 'fixtures/profiles/verify-under-heap.mjs']);
  assert.equal(code, 0);
  const proc = report.processes.find((p) => p.argv[1]?.endsWith('verify-under-heap.mjs'));
  const byName = Object.fromEntries(proc.profiles.map((p) => [p.name, p.descriptor]));
  assert.deepEqual(byName.handles, {
    name: 'handles',
    item: 'handle',
    sampleTypes: [{ type: 'handles', unit: 'count', of: 'count' }],
    holdsProcess: true,
    check: { flag: 'max-handles', limit: 0 },
  });
  assert.deepEqual(byName.heap.sampleTypes.map((t) => `${t.type}/${t.unit}`), ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(byName.heap.check, undefined, 'the heap profile has no check rule');
  // pprof: sample types and the default from the descriptor; values read from count and bytes.
  const files = readdirSync(pprofDir);
  const heapFile = files.find((f) => f.endsWith('.heap.pb.gz'));
  const handlesFile = files.find((f) => f.endsWith('.handles.pb.gz'));
  assert.ok(heapFile && handlesFile, files.join(', '));
  const heap = decodePprof(readFileSync(join(pprofDir, heapFile)));
  assert.deepEqual(heap.sampleTypes, [{ type: 'inuse_objects', unit: 'count' }, { type: 'inuse_space', unit: 'bytes' }]);
  assert.equal(heap.defaultSampleType, 'inuse_space');
  assert.ok(heap.samples.some((s) => s.values[1] > 0), 'bytes in the second value');
  const handles = decodePprof(readFileSync(join(pprofDir, handlesFile)));
  assert.deepEqual(handles.sampleTypes, [{ type: 'handles', unit: 'count' }]);
});

const OWN = 'fixtures/profiles/own-profile.mjs';
const REGISTRY_LEAKY = 'fixtures/registry/leaky.mjs';
const REGISTRY_FIXED = 'fixtures/registry/fixed.mjs';

test("a user's own profile, declared in one source file, shows in text, JSON, pprof and check like a built-in", async () => {
  const leakLine = markerLine(OWN, 'LEAK');
  // JSON: the profile, its descriptor, one group at the line that acquired (skip: 1), with its label.
  const pprofDir = join(dir, 'own-pprof');
  const { report, stderr, code } = await runLeakprof(['--pprof', pprofDir, OWN]);
  assert.equal(code, 0, stderr);
  const proc = processFor(report, OWN);
  const own = proc.profiles.find((p) => p.name === 'db-connections');
  assert.ok(own, `profiles: ${proc.profiles.map((p) => p.name).join(', ')}`);
  assert.equal(own.total, 2);
  assert.deepEqual(own.descriptor, {
    name: 'db-connections',
    item: 'connection',
    sampleTypes: [{ type: 'db-connections', unit: 'count', of: 'count' }],
    holdsProcess: false,
    check: { flag: 'max-db-connections', limit: 0 },
    hint: 'a pooled connection never released: call pool.release(conn) when done',
    user: true,
  });
  assert.equal(own.groups.length, 1, describeGroups(own.groups));
  const [group] = own.groups;
  assert.equal(location(group), `${OWN}:${leakLine}`);
  assert.equal(group.top.function, 'reports');
  assert.deepEqual(group.labels, { pool: 'reports' });
  assert.equal(group.label, 'db-connections {pool=reports}');
  assert.equal(group.keepsAlive, false);
  // In the child, verifyNone judged it too (the preload's collector).
  const child = JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"count"')));
  assert.equal(child.count, 2);
  assert.match(child.leaks[0], new RegExp(`^leak \\(db-connections\\): 2 × db-connections \\{pool=reports\\} added, created at ${OWN.replace(/[./]/g, '\\$&')}:${leakLine} — call pool\\.release\\(conn\\) when done$`));
  // pprof: a file of its own, its sample type from the descriptor, the label as a pprof label.
  const file = readdirSync(pprofDir).find((f) => f.endsWith('.db-connections.pb.gz'));
  assert.ok(file, readdirSync(pprofDir).join(', '));
  const data = decodePprof(readFileSync(join(pprofDir, file)));
  assert.deepEqual(data.sampleTypes, [{ type: 'db-connections', unit: 'count' }]);
  assert.deepEqual(data.samples.map((s) => [s.values[0], s.labels.pool?.[0], s.frames[0].line]), [[2, 'reports', leakLine]]);
  // Text: the group with its line, label and hint; --debug 2 calls each one by the profile's word.
  const text = await leakprofCli(['run', OWN]);
  assert.match(text.stderr, /^db-connections profile: total 2$/m);
  assert.match(text.stderr, new RegExp(`^2 @ db-connections \\{pool=reports\\} added age .*\\n#\\tlabels: pool=reports\\n#\\t${OWN}:${leakLine}:\\d+\\treports`, 'm'));
  assert.match(text.stderr, /#\thint: a pooled connection never released/);
  const debug2 = await leakprofCli(['run', '--debug', '2', OWN]);
  assert.match(debug2.stderr, /^connection \d+ \[db-connections \{pool=reports\}, added, /m);
});

test("check judges a user's profile: --max-<name>, --max <name>=<n>, --fail-on by name", async () => {
  const leaky = await leakprofCli(['check', OWN]);
  assert.equal(leaky.code, 1, leaky.stderr);
  assert.match(leaky.stderr, new RegExp(`^leak \\(db-connections\\): 2 × db-connections \\{pool=reports\\} added, created at ${OWN.replace(/[./]/g, '\\$&')}:${markerLine(OWN, 'LEAK')} — call pool\\.release`, 'm'));
  assert.equal((await leakprofCli(['check', '--max-db-connections', '2', OWN])).code, 0);
  assert.equal((await leakprofCli(['check', '--max-db-connections=1', OWN])).code, 1);
  assert.equal((await leakprofCli(['check', '--max', 'db-connections=2', OWN])).code, 0);
  assert.equal((await leakprofCli(['check', '--fail-on', 'handles', OWN])).code, 0);
  // A name no process had a profile of (a typo, or a profile never made in this run) is said, not failed.
  const typo = await leakprofCli(['check', '--fail-on', 'handles,db-conections', '--max', 'db-conection=3', OWN]);
  assert.equal(typo.code, 0, typo.stderr);
  assert.match(typo.stderr, /^leakprof: warning: --fail-on names "db-conections", which no process had a profile of \(profiles: handles, db-connections\)$/m);
  assert.match(typo.stderr, /^leakprof: warning: --max names "db-conection", which no process had a profile of/m);
  const verbose = await leakprofCli(['check', '--verbose', '--max', 'db-connections=2', OWN]);
  assert.match(verbose.stderr, /^total db-connections: 2 counted, limit 2$/m);
  // An option after the command is the workload's, not check's.
  const bad = await leakprofCli(['check', '--max', 'db-connections', OWN]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^leakprof: --max takes <profile>=<n> \(--max db-connections=5\), got "db-connections"$/m);
});

test('profile() without leakprof keeps nothing; after startTracking() the in-process collector has it', async () => {
  const bare = await nodeRun([OWN]);
  assert.equal(bare.code, 0, bare.stderr);
  assert.deepEqual(JSON.parse(bare.stderr.trim()), { count: 0, verdict: 'clean' });
  const tracked = await nodeRun([OWN, '--track']);
  const out = JSON.parse(tracked.stderr.trim().split('\n').at(-1));
  assert.equal(out.count, 2);
  assert.equal(out.leaks.length, 1);
  assert.match(out.leaks[0], /^leak \(db-connections\): 2 × db-connections \{pool=reports\} added, created at /);
});

test('the registry (seed 003, channelz): the report names the register() call that left entries; check fails the leaky, passes the fixed', async () => {
  const leakLine = markerLine(REGISTRY_LEAKY, 'LEAK');
  const { report, code } = await runLeakprof([REGISTRY_LEAKY, '3', '200']);
  assert.equal(code, 0);
  const entries = processFor(report, REGISTRY_LEAKY).profiles.find((p) => p.name === 'channelz-entries');
  assert.equal(entries.total, 600);
  assert.deepEqual(entries.groups.map((g) => [g.count, location(g), g.top.function]), [[600, `${REGISTRY_LEAKY}:${leakLine}`, 'connect']]);
  const leaky = await leakprofCli(['check', REGISTRY_LEAKY, '3', '200']);
  assert.equal(leaky.code, 1, leaky.stderr);
  assert.match(leaky.stderr, new RegExp(`^leak \\(channelz-entries\\): 600 × channelz-entries added, created at ${REGISTRY_LEAKY.replace(/[./]/g, '\\$&')}:${leakLine} — call registry\\.remove\\(id\\) when the channel closes$`, 'm'));
  const fixed = await leakprofCli(['check', REGISTRY_FIXED, '3', '200']);
  assert.equal(fixed.code, 0, fixed.stderr);
  const fixedReport = (await runLeakprof([REGISTRY_FIXED, '3', '200'])).report;
  assert.equal(processFor(fixedReport, REGISTRY_FIXED).profiles.find((p) => p.name === 'channelz-entries')?.total, 0);
});

test("a profile's name is checked where it is made: leakprof's own names and bad ones throw, bare or not", async () => {
  const { profile } = await import('leakprof');
  assert.throws(() => profile('handles'), /"handles" is leakprof's own profile or kind/);
  assert.throws(() => profile('heap-growth'), /leakprof's own/);
  assert.throws(() => profile('DB Connections'), /lower case letters, digits and dashes/);
  assert.throws(() => profile('db', { limit: -1 }), /limit must be a whole number/);
  const p = profile('things');
  p.add({});
  assert.equal(p.count, 0, 'no collector in this process: nothing kept');
  assert.equal(p.remove({}), false);
});

test('a new profile is one source that declares its descriptor: text, pprof and the judge follow with no other edit', async () => {
  const { startTracking, snapshot, verifyNone, renderReport, toPprof, LeakError } = await import('leakprof');
  const { SampleGroups } = await import('../dist/collect/sample-groups.js');
  startTracking();
  // The whole "source file": what it holds open, how it folds them, and its descriptor.
  const open = [{ path: '/tmp/a.log', bytes: 4096 }, { path: '/tmp/b.log', bytes: 1024 }];
  const openFiles = {
    descriptor: {
      name: 'open-files',
      item: 'file',
      sampleTypes: [{ type: 'open-files', unit: 'count', of: 'count' }, { type: 'buffered', unit: 'bytes', of: 'bytes' }],
      holdsProcess: false,
      check: { flag: 'max-open-files', limit: 1 },
      hint: 'a file still open: close it',
    },
    sample(_now, maxEntries) {
      const groups = new SampleGroups(maxEntries);
      for (const f of open) groups.addCounted('log', { type: 'file', label: 'file *.log', state: 'open', stack: -1, createdBy: -1, createdByAsync: -1 }, 1, 0, 0, f.bytes);
      return groups;
    },
  };
  globalThis[Symbol.for('leakprof.collector')].addProfile(openFiles);
  const proc = snapshot();
  const profile = proc.profiles.find((p) => p.name === 'open-files');
  assert.deepEqual([profile.total, profile.totalBytes, profile.groups[0].hint], [2, 5120, 'a file still open: close it']);
  const report = { schema: 'leakprof.report/v2', command: ['test'], processes: [proc], outcome: { kind: 'running', exitCode: null, signal: null }, durationMs: 0 };
  assert.match(renderReport(report), /^open-files profile: total 5\.0KB live, estimated from 2 samples\n5\.0KB @ file \*\.log open \(2 samples\)$/m);
  const pprof = toPprof(report).find((f) => f.profile === 'open-files');
  assert.ok(pprof, 'a pprof file of its own');
  // Judged against its declared limit (1), by its flag too.
  await assert.rejects(verifyNone({ settle: 0, failOn: 'open-files' }), (e) => e instanceof LeakError && e.leaks.some((l) => l.kind === 'open-files' && /^leak \(open-files\): 2 × file \*\.log open, no creation stack — close it$/.test(l.message)));
  const { verdict } = await verifyNone({ settle: 0, max: 'open-files=2', failOn: 'open-files' });
  assert.equal(verdict.totals.find((t) => t.kind === 'open-files')?.limit, 2);
});
