// Profiles as one concept: each source declares its descriptor once (name, sample types and
// units, whether its items hold the process, how check judges it), the descriptor travels with
// the profile, and analyse, the writers and the judge work from it. Real children, real reports.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePprof } from '../dist/report/pprof-proto.js';
import { leakprofCli, runLeakprof } from './helpers/leakprof.js';

const dir = mkdtempSync(join(tmpdir(), 'leakprof-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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
  assert.deepEqual(byName.heap.sampleTypes.map((t) => `${t.type}/${t.unit}`), ['samples/count', 'space/bytes']);
  assert.equal(byName.heap.check, undefined, 'the heap profile has no check rule');
  // pprof: sample types and the default from the descriptor; values read from count and bytes.
  const files = readdirSync(pprofDir);
  const heapFile = files.find((f) => f.endsWith('.heap.pb.gz'));
  const handlesFile = files.find((f) => f.endsWith('.handles.pb.gz'));
  assert.ok(heapFile && handlesFile, files.join(', '));
  const heap = decodePprof(readFileSync(join(pprofDir, heapFile)));
  assert.deepEqual(heap.sampleTypes, [{ type: 'samples', unit: 'count' }, { type: 'space', unit: 'bytes' }]);
  assert.equal(heap.defaultSampleType, 'space');
  assert.ok(heap.samples.some((s) => s.values[1] > 0), 'bytes in the second value');
  const handles = decodePprof(readFileSync(join(pprofDir, handlesFile)));
  assert.deepEqual(handles.sampleTypes, [{ type: 'handles', unit: 'count' }]);
});

