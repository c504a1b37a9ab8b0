// A mutation fuzzer for the three readers: `leakprof report` for JSON reports and pprof
// profiles, `leakprof heap` for heap snapshots. Valid inputs — a real report from a leaky
// fixture, the profiles in fixtures/pprof-testdata, three real heap snapshots (made small) —
// are flipped, cut, spliced and restructured; each reader must succeed or fail with one clean
// line (no TypeError/RangeError, no hang). Seeded and deterministic: 200 cases per reader in the
// suite, LEAKPROF_FUZZ_CASES=N for more, LEAKPROF_FUZZ_SEED=S for another sequence.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { leakprofCli, ROOT } from './helpers/leakprof.js';
import { mutate, rng, shrinkSnapshot } from './helpers/mutate.js';

const CASES = Number(process.env.LEAKPROF_FUZZ_CASES ?? 200);
const SEED = Number(process.env.LEAKPROF_FUZZ_SEED ?? 11);
/** A reader that takes this long on one small mutant is hung (an upper bound, never the thing measured). */
const HANG_MS = 60_000;
const TESTDATA = join(ROOT, 'fixtures', 'pprof-testdata');

const dir = mkdtempSync(join(tmpdir(), 'leakprof-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const inputs = { report: [], heap: [] };

before(async () => {
  // A real report, and one with check's verdict, from the leaky fixture.
  for (const [cmd, name] of [['run', 'run.json'], ['check', 'check.json']]) {
    const file = join(dir, name);
    const made = await leakprofCli([cmd, '-o', file, '--promises', 'fixtures/check/mixed-leaks.mjs']);
    assert.ok(made.code === 0 || made.code === 1, made.stderr);
    inputs.report.push(file);
  }
  for (const f of readdirSync(TESTDATA)) if (/\.pb(\.gz)?$/.test(f) && statSync(join(TESTDATA, f)).size < 256 * 1024) inputs.report.push(join(TESTDATA, f));
  // Three real snapshots of one process, made small enough to read hundreds of times.
  const snaps = join(dir, 'snapshots');
  mkdirSync(snaps);
  const child = spawnSync(process.execPath, [join(ROOT, 'fixtures/bad-input/three-snapshots.mjs')], { cwd: snaps, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  for (const [i, name] of child.stdout.trim().split('\n').entries()) {
    const file = join(dir, `small-${i}.heapsnapshot`);
    writeFileSync(file, shrinkSnapshot(readFileSync(join(snaps, name), 'utf8')));
    inputs.heap.push(file);
  }
  rmSync(snaps, { recursive: true, force: true });
});

/** Runs `cases` mutants through one reader in a worker; ends it if one case hangs. */
function fuzz(reader, seed, cases) {
  const work = join(dir, `work-${reader}`);
  mkdirSync(work, { recursive: true });
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./helpers/fuzz-worker.js', import.meta.url), { workerData: { reader, seed, cases, inputs: inputs[reader], dir: work } });
    let done = 0;
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`${reader}: case ${seed + done} (seed) ran longer than ${HANG_MS} ms: a hang; replay with LEAKPROF_FUZZ_SEED=${seed + done} LEAKPROF_FUZZ_CASES=1`));
      }, HANG_MS);
    };
    arm();
    worker.on('message', (m) => {
      if (m.progress) {
        done = m.progress;
        arm();
      } else if (m.done) {
        clearTimeout(timer);
        resolve({ done, failures: m.failures });
      }
    });
    worker.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('mutation fuzzer for the readers', () => {
  for (const reader of ['report', 'heap']) {
    test(`${reader === 'report' ? 'leakprof report (JSON reports, pprof .pb/.pb.gz)' : 'leakprof heap (heap snapshots)'}: ${CASES} seeded mutants, each read or refused in one clean line`, async () => {
      const { done, failures } = await fuzz(reader, SEED * 100_003 + (reader === 'heap' ? 50_000 : 0), CASES);
      assert.equal(done, CASES);
      assert.deepEqual(failures, [], `mutants that crashed the reader (replay a case with LEAKPROF_FUZZ_SEED/CASES):\n${failures.map((f) => `case ${f.case} ${f.input} (${f.how}): ${f.name}: ${f.message}\n${f.stack}`).join('\n')}`);
    });
  }

  test('the CLI on a few mutants of each kind: exit 0, or exit 2 with one line and no stack', async () => {
    const r = rng(SEED);
    const kinds = [
      ['report', inputs.report[0], 'mutant.json'],
      ['report', inputs.report.find((f) => f.endsWith('.pb.gz')), 'mutant.pb.gz'],
      ['report', inputs.report.find((f) => f.endsWith('.pb')), 'mutant.pb'],
      ['heap', inputs.heap[2], 'mutant.heapsnapshot'],
    ];
    for (const [cmd, input, name] of kinds) {
      for (let k = 0; k < 3; k++) {
        const { bytes, how } = mutate(readFileSync(input), r, { json: !name.includes('.pb') });
        const file = join(dir, name);
        writeFileSync(file, bytes);
        const args = cmd === 'heap' ? ['heap', inputs.heap[0], inputs.heap[1], file] : ['report', file];
        const { code, stderr } = await leakprofCli(args);
        assert.ok(code === 0 || code === 2, `${name} (${how}): exit ${code}\n${stderr}`);
        assert.doesNotMatch(stderr, /\n\s+at |TypeError|RangeError/, `${name} (${how})`);
        if (code === 2) assert.match(stderr, /^leakprof: [^\n]+\n$/, `${name} (${how}): one line`);
      }
    }
  });
});
