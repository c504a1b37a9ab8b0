// Whether stopping leaves handles behind: the fixed variant's process exits by itself, the leaky one cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../../dist/workload/', import.meta.url);
const INDEX = new URL('index.js', DIST).href;
const MAIN = fileURLToPath(new URL('main.js', DIST));

/**
 * Runs a child; resolves {code, stdout, stderr, exited} once it exits, or kills it `graceMs` after
 * `done(stdout, stderr)` first holds — what it had to do is done, and a process with nothing left
 * would have exited by then — or after a generous bound, whatever the machine's load.
 */
function runChild(args, { done = () => false, graceMs = 1500, boundMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let grace;
    const check = () => {
      if (grace === undefined && done(stdout, stderr)) grace = setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    child.stdout.on('data', (d) => ((stdout += d), check()));
    child.stderr.on('data', (d) => ((stderr += d), check()));
    const bound = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.on('exit', (code, signal) => {
      clearTimeout(bound);
      clearTimeout(grace);
      resolve({ code, signal, stdout, stderr, exited: signal === null });
    });
  });
}

const printedLine = (stdout) => stdout.includes('\n');

const script = (variant) => `
  import { createCompressor, Aggregator } from ${JSON.stringify(INDEX)};
  const compressor = createCompressor(${JSON.stringify(variant)});
  const agg = new Aggregator({ interval: '1s', by: ['job'], outputs: ['total', 'max'] }, { compressor, pushFunc() {} });
  agg.push([{ labels: [{ name: '__name__', value: 'm' }, { name: 'job', value: 'j' }, { name: 'pod', value: 'p' }], samples: [{ value: 1, timestamp: Date.now() }] }]);
  agg.stop();
  console.log(JSON.stringify({ resources: process.getActiveResourcesInfo(), flusherRunning: agg.flusherRunning }));
`;

const timeouts = (stdout) => JSON.parse(stdout.trim().split('\n').pop()).resources.filter((r) => r === 'Timeout').length;

test('fixed aggregator + compressor: after stop() no timers are left and the process exits by itself', async () => {
  const r = await runChild(['--input-type=module', '-e', script('fixed')]);
  assert.equal(r.exited, true, `did not exit: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(timeouts(r.stdout), 0);
  assert.equal(JSON.parse(r.stdout).flusherRunning, false);
});

test('leaky aggregator + compressor: stop() leaves the flusher and the compressor ticker; the process does not exit', async () => {
  const r = await runChild(['--input-type=module', '-e', script('leaky')], { done: printedLine });
  assert.equal(r.exited, false, 'the leaky process should still be running 1.5 s after its script ended');
  assert.equal(timeouts(r.stdout), 2, `resources: ${r.stdout}`);
  assert.equal(JSON.parse(r.stdout.trim()).flusherRunning, true);
});

test('main.js --variant fixed --http: runs, writes stats and exits by itself', async () => {
  const r = await runChild([MAIN, '--variant', 'fixed', '--series', '300', '--churn', '200', '--duration', '1500ms', '--push-interval', '100ms', '--http', '--concurrency', '3']);
  assert.equal(r.exited, true, `did not exit: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.variant, 'fixed');
  // How many pushes fit in 1.5 s depends on the machine: whole batches of 300, at least one.
  assert.ok(result.samplesPushed >= 300 && result.samplesPushed % 300 === 0, `samplesPushed ${result.samplesPushed}`);
  assert.ok(result.seriesFlushed > 0);
  assert.ok(result.memory.length >= 2);
  assert.match(r.stderr, /t=\d+s samples\/s=\d+ series=300 heap=.* compressor items=\d+/);
});

test('main.js --variant leaky: finishes its run, then stays alive on its leaked timers', async () => {
  const r = await runChild([MAIN, '--variant', 'leaky', '--series', '100', '--churn', '50', '--duration', '300ms'], { done: (_out, err) => err.includes('done: leaky') });
  assert.equal(r.exited, false, 'the leaky run should not exit by itself');
  assert.match(r.stderr, /done: leaky/);
  assert.equal(JSON.parse(r.stdout).variant, 'leaky');
});

test('main.js rejects bad arguments with one ERROR line and exit code 2', async () => {
  const r = await runChild([MAIN, '--variant', 'weak']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ERROR: --variant must be "leaky" or "fixed", got "weak"/);
});
