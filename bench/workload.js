// Workload micro-benchmarks (spec 1.8 shapes) and the leaky/fixed memory slope under churn.
// usage: node bench/workload.js [--duration 20s] [--bench-ms 1000]
// Writes bench/results/workload-<node major>.json and prints a table. Figures are ours: VictoriaMetrics publishes none.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCompressor, Aggregator } from '../dist/workload/index.js';
import { parseDuration } from '../dist/util/duration.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '20s' }, 'bench-ms': { type: 'string', default: '1000' } } });
const durationMs = parseDuration(values.duration);
const benchMs = parseDuration(values['bench-ms']);
const MAIN = fileURLToPath(new URL('../dist/workload/main.js', import.meta.url));
let sink = 0;
const tick = () => new Promise((r) => setImmediate(r));

function newTestSeries(seriesCount, labelsPerSeries) {
  return Array.from({ length: seriesCount }, (_, i) => Array.from({ length: labelsPerSeries }, (_, j) => ({ name: `label_${j}`, value: `value_${i}_${j}` })));
}

/** Runs `pass` in batches for benchMs; with rotation, a setImmediate loop calls rotate() between batches. */
async function measure(lc, pass, withRotate) {
  let rotations = 0;
  let rotating = withRotate;
  const rotator = async () => {
    while (rotating) {
      lc.rotate();
      rotations++;
      await tick();
    }
  };
  const rotation = rotator();
  for (let i = 0; i < 50; i++) pass(); // warm-up
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(benchMs) * 1_000_000n) {
    for (let i = 0; i < 20; i++) pass();
    passes += 20;
    await tick();
    elapsedNs = process.hrtime.bigint() - start;
  }
  rotating = false;
  await rotation;
  const ops = passes * 100; // one op = one series of 10 labels, as SetBytes(100) counts
  const sec = Number(elapsedNs) / 1e9;
  return { opsPerSec: Math.round(ops / sec), nsPerOp: Math.round(Number(elapsedNs) / ops), rotationsPerPass: withRotate ? +(rotations / passes).toFixed(3) : 0 };
}

async function compressorBench(variant) {
  const series = newTestSeries(100, 10);
  const out = {};
  for (const withRotate of [false, true]) {
    const mode = withRotate ? 'with_rotate' : 'no_rotate';
    const lc = createCompressor(variant);
    const keys = series.map((labels) => lc.compress(labels));
    const dst = [];
    out[`compress_${mode}`] = await measure(lc, () => {
      dst.length = 0;
      for (const labels of series) lc.appendCompressed(dst, labels);
      sink += dst.length;
    }, withRotate);
    out[`decompress_${mode}`] = await measure(lc, () => {
      for (const key of keys) sink += lc.decompress(key).length; // the sink keeps the work from being optimised away
    }, withRotate);
  }
  return out;
}

/** VictoriaMetrics' newBenchSeries: 10,000 series × 12 labels; config interval 24h, by [job] (100 groups). */
function aggregatorBench(variant) {
  const series = Array.from({ length: 10_000 }, (_, j) => ({
    labels: Object.entries({
      __name__: 'http_requests_total', path: `/foo/${j}`, job: `foo_${j % 100}`, instance: 'bar', pod: 'pod-123232312',
      namespace: 'kube-foo-bar', node: 'node-123-3434-443', some_other_label: 'foo-bar-baz', environment: 'prod',
      label1: 'value1', label2: 'value2', label3: 'value3',
    }).map(([name, value]) => ({ name, value })),
    samples: [{ value: j * 1000, timestamp: 1000 }],
  }));
  const outputs = ['avg', 'count_samples', 'count_series', 'increase', 'last', 'max', 'min', 'quantiles(0, 0.5, 1)', 'stddev', 'stdvar', 'sum_samples', 'total'];
  const agg = new Aggregator({ interval: '24h', by: ['job'], outputs }, { compressor: createCompressor(variant), pushFunc() {}, startFlusher: false });
  for (let i = 0; i < 3; i++) agg.push(series); // warm-up
  let pushes = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(benchMs) * 2_000_000n) {
    agg.push(series);
    pushes++;
    elapsedNs = process.hrtime.bigint() - start;
  }
  agg.flush();
  const sec = Number(elapsedNs) / 1e9;
  return { outputs: outputs.length, samplesPerSec: Math.round((pushes * series.length) / sec), nsPerSample: Math.round(Number(elapsedNs) / (pushes * series.length)) };
}

/** One load run in a child (the leaky one never exits: it is killed once its stats are written). */
function memoryRun(variant) {
  const statsFile = join(tmpdir(), `leakprof-workload-${variant}-${process.pid}.json`);
  rmSync(statsFile, { force: true });
  const args = [MAIN, '--variant', variant, '--series', '5000', '--labels', '10', '--churn', '2000', '--duration', `${durationMs}ms`, '--stats-file', statsFile];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let exitedByItself = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/^done: /m.test(stderr)) setTimeout(() => child.kill('SIGKILL'), 2000); // give a fixed child time to exit alone
    });
    child.on('exit', (code, signal) => {
      exitedByItself = signal === null;
      try {
        const r = JSON.parse(readFileSync(statsFile, 'utf8'));
        rmSync(statsFile, { force: true });
        const heap = r.memory.map((m) => m.heapUsed);
        resolve({
          durationMs, samplesPerSec: Math.round(r.samplesPerSec), compressorItems: r.compressorItems, compressorBytes: r.compressorBytes, generation: r.generation,
          heapStart: heap[0], heapEnd: heap[heap.length - 1], slopeBytesPerMin: Math.round(r.slopeBytesPerMin), slopeWholeRunBytesPerMin: Math.round(r.slopeWholeRunBytesPerMin),
          exitedByItself,
        });
      } catch (err) {
        reject(new Error(`${variant} load run failed (code ${code}): ${stderr}\n${err.message}`));
      }
    });
  });
}

const mb = (n) => `${(n / 1048576).toFixed(2)} MB`;
const results = { node: process.version, benchMs, cpus: (await import('node:os')).cpus().length, compressor: {}, aggregator: {}, memory: {} };
for (const variant of ['leaky', 'fixed']) results.compressor[variant] = await compressorBench(variant);
for (const variant of ['leaky', 'fixed']) results.aggregator[variant] = aggregatorBench(variant);
for (const variant of ['leaky', 'fixed']) results.memory[variant] = await memoryRun(variant);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/workload-${process.versions.node.split('.')[0]}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');

console.log(`workload bench, Node ${process.version} (written to ${fileURLToPath(file)})`);
console.log('compressor, newTestSeries(100, 10), ns/op per series (ops/s):');
for (const [variant, r] of Object.entries(results.compressor)) {
  const row = Object.entries(r).map(([k, v]) => `${k} ${v.nsPerOp} ns (${(v.opsPerSec / 1e6).toFixed(2)}M/s${v.rotationsPerPass ? `, ${v.rotationsPerPass} rot/pass` : ''})`);
  console.log(`  ${variant.padEnd(5)}  ${row.join('  |  ')}`);
}
console.log('aggregator, 10,000 series × 12 labels, interval 24h, by [job]:');
for (const [variant, r] of Object.entries(results.aggregator)) console.log(`  ${variant.padEnd(5)}  ${r.outputs} outputs: ${(r.samplesPerSec / 1e3).toFixed(0)}k samples/s (${r.nsPerSample} ns/sample)`);
console.log(`memory, 5,000 series × 10 labels, 2,000 churn/s, ${durationMs / 1000}s:`);
for (const [variant, r] of Object.entries(results.memory)) {
  console.log(`  ${variant.padEnd(5)}  slope (2nd half) ${mb(r.slopeBytesPerMin)}/min, whole run ${mb(r.slopeWholeRunBytesPerMin)}/min, heap ${mb(r.heapStart)} → ${mb(r.heapEnd)}, items ${r.compressorItems}, generation ${r.generation}, exited by itself: ${r.exitedByItself}`);
}
if (sink === 0) console.log('(empty sink)');
process.exit(0); // the in-process leaky compressors left nothing running (no register()), but be explicit
