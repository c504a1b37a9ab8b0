// The stream aggregator in process, with the fixed compressor, a fake clock and no flush timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator, FixedLabelsCompressor, resolveAggregatorConfig } from '../../dist/workload/index.js';
import { series, labelsOf } from './helpers.js';

function setup(cfg, extra = {}) {
  let now = 1_000_000;
  const pushed = [];
  const compressor = new FixedLabelsCompressor();
  const agg = new Aggregator(cfg, {
    compressor,
    pushFunc: (s) => pushed.push(...s),
    now: () => now,
    startFlusher: false,
    ...extra,
  });
  return {
    agg,
    compressor,
    pushed,
    advance: (ms) => (now += ms),
    byName: () => Object.fromEntries(pushed.map((s) => [labelsOf(s).__name__ + JSON.stringify(labelsOf(s)), s.samples[0].value])),
  };
}

const REQS = [
  series({ __name__: 'http_requests_total', job: 'api', instance: 'a' }, 1),
  series({ __name__: 'http_requests_total', job: 'api', instance: 'b' }, 2),
  series({ __name__: 'http_requests_total', job: 'web', instance: 'a' }, 4),
];

test('by: output series are named metric:interval_by_labels_output and keep only by labels', () => {
  const t = setup({ interval: '1m', by: ['job'], outputs: ['sum_samples', 'count_series'] });
  t.agg.push(REQS);
  t.advance(60_000);
  t.agg.flush();
  const got = t.pushed.map((s) => ({ ...labelsOf(s), v: s.samples[0].value })).sort((a, b) => (a.__name__ + a.job < b.__name__ + b.job ? -1 : 1));
  assert.deepEqual(got, [
    { __name__: 'http_requests_total:1m_by_job_count_series', job: 'api', v: 2 },
    { __name__: 'http_requests_total:1m_by_job_count_series', job: 'web', v: 1 },
    { __name__: 'http_requests_total:1m_by_job_sum_samples', job: 'api', v: 3 },
    { __name__: 'http_requests_total:1m_by_job_sum_samples', job: 'web', v: 4 },
  ]);
  assert.ok(t.pushed.every((s) => s.samples[0].timestamp === 1_060_000), 'stamped with the flush time');
  t.agg.stop();
});

test('without: drops the listed labels; suffix lists them sorted', () => {
  const t = setup({ interval: '30s', without: ['instance', 'az'], outputs: ['max'] });
  t.agg.push(REQS);
  t.agg.flush();
  assert.deepEqual(t.pushed.map(labelsOf).map((l) => l.__name__), ['http_requests_total:30s_without_az_instance_max', 'http_requests_total:30s_without_az_instance_max']);
  assert.deepEqual(t.pushed.map((s) => [labelsOf(s).job, s.samples[0].value]).sort(), [['api', 2], ['web', 4]]);
  assert.ok(t.pushed.every((s) => !('instance' in labelsOf(s))));
  t.agg.stop();
});

test('no by/without aggregates only by time; numeric interval prints compactly; keepMetricNames keeps the name', () => {
  const t = setup({ interval: 120_000, outputs: ['count_samples'] });
  t.agg.push(REQS);
  t.agg.flush();
  assert.equal(t.pushed.length, 3);
  assert.ok(t.pushed.every((s) => labelsOf(s).__name__ === 'http_requests_total:2m_count_samples' && 'instance' in labelsOf(s)));
  t.agg.stop();

  const k = setup({ interval: '1m', by: ['job'], outputs: ['max'], keepMetricNames: true });
  k.agg.push(REQS);
  k.agg.flush();
  assert.ok(k.pushed.every((s) => labelsOf(s).__name__ === 'http_requests_total'));
  k.agg.stop();
});

test('quantiles add the quantile label; NaN samples are skipped', () => {
  const t = setup({ interval: '1m', by: ['job'], outputs: ['quantiles(0.5)', 'count_samples'] });
  t.agg.push([...REQS, series({ __name__: 'http_requests_total', job: 'api', instance: 'c' }, NaN)]);
  t.agg.flush();
  const api = t.pushed.filter((s) => labelsOf(s).job === 'api');
  const q = api.find((s) => labelsOf(s).__name__.endsWith('_quantiles'));
  assert.deepEqual(labelsOf(q), { __name__: 'http_requests_total:1m_by_job_quantiles', job: 'api', quantile: '0.5' });
  assert.equal(q.samples[0].value, 1.5);
  assert.equal(api.find((s) => labelsOf(s).__name__.endsWith('_count_samples')).samples[0].value, 2);
  assert.equal(t.agg.stats.samplesPushed, 3);
  t.agg.stop();
});

test('staleness: a group not pushed within stalenessInterval is dropped at the next flush and emits nothing', () => {
  const t = setup({ interval: '1m', stalenessInterval: '2m', by: ['job'], outputs: ['sum_samples'] });
  t.agg.push(REQS);
  t.advance(60_000);
  t.agg.flush();
  assert.equal(t.pushed.length, 2);
  t.agg.push([REQS[2]]); // keep job=web fresh
  t.advance(60_001);
  t.pushed.length = 0;
  t.agg.flush();
  assert.deepEqual(t.pushed.map((s) => labelsOf(s).job), ['web'], 'api is stale: not emitted (sum_samples would emit 0)');
  assert.equal(t.agg.entriesCount, 1);
  t.agg.stop();
});

test('dedup: one sample per series per dedup interval reaches the outputs', () => {
  const t = setup({ interval: '1m', dedupInterval: '30s', by: ['job'], outputs: ['count_samples', 'max'] });
  t.agg.push([series({ __name__: 'm', job: 'x', i: '1' }, 5, 100), series({ __name__: 'm', job: 'x', i: '1' }, 3, 100), series({ __name__: 'm', job: 'x', i: '2' }, 1, 100)]);
  t.agg.dedupFlush();
  t.agg.flush();
  const byName = Object.fromEntries(t.pushed.map((s) => [labelsOf(s).__name__, s.samples[0].value]));
  assert.deepEqual(byName, { 'm:1m_by_job_count_samples': 2, 'm:1m_by_job_max': 5 });
  t.agg.stop();
});

test('stop: the final flush is pushed only with flushOnShutdown', () => {
  const quiet = setup({ interval: '1m', outputs: ['count_samples'] });
  quiet.agg.push(REQS);
  quiet.agg.stop();
  assert.equal(quiet.pushed.length, 0);
  assert.equal(quiet.agg.entriesCount, 0);

  const loud = setup({ interval: '1m', outputs: ['count_samples'], flushOnShutdown: true });
  loud.agg.push(REQS);
  loud.agg.stop();
  assert.equal(loud.pushed.length, 3);
  loud.agg.push(REQS);
  assert.equal(loud.agg.entriesCount, 0, 'push after stop is ignored');
});

test('fixed stop() unregisters from the compressor; leaky stop() forgets to', () => {
  const fixed = setup({ interval: '1m', stalenessInterval: '3m', outputs: ['max'] });
  assert.equal(fixed.compressor.rotationPeriodMs, 180_000);
  fixed.agg.stop();
  assert.equal(fixed.compressor.rotationPeriodMs, 0);

  const leaky = setup({ interval: '1m', stalenessInterval: '3m', outputs: ['max'] }, { variant: 'leaky' });
  leaky.agg.stop();
  assert.equal(leaky.compressor.rotationPeriodMs, 180_000, 'still registered after stop');
  leaky.compressor.unregister(180_000); // test cleanup; the timer is unref'd anyway
});

test('the flusher emits on its own timer and fixed stop() clears it', async () => {
  const pushed = [];
  // Staleness far above the interval: a starved flusher that ticks seconds late must still find the series (by default
  // it is two intervals, 100 ms, and a late first tick would drop them as stale and push nothing).
  const agg = new Aggregator({ interval: 50, stalenessInterval: '1h', outputs: ['count_samples'] }, { compressor: new FixedLabelsCompressor(), pushFunc: (s) => pushed.push(...s) });
  assert.equal(agg.flusherRunning, true);
  agg.push(REQS);
  // Generous: a shared CI machine can starve a 50 ms interval for seconds.
  const deadline = Date.now() + 15_000;
  while (pushed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  agg.stop();
  // One flush of the three series; a loaded machine may fit a second one in before the loop sees the first.
  assert.ok(pushed.length >= 3 && pushed.length % 3 === 0, `${pushed.length} samples pushed`);
  assert.equal(agg.flusherRunning, false);
});

test('config validation errors say what to fix', () => {
  const cases = [
    [{ outputs: ['max'] }, /interval is required/],
    [{ interval: 'soon', outputs: ['max'] }, /interval: invalid duration "soon"/],
    [{ interval: 0, outputs: ['max'] }, /interval must be positive/],
    [{ interval: '1m', dedupInterval: '2m', outputs: ['max'] }, /dedupInterval=2m must not exceed interval=1m/],
    [{ interval: '1m', dedupInterval: '25s', outputs: ['max'] }, /interval=1m must be a multiple of dedupInterval=25s/],
    [{ interval: '1m', stalenessInterval: '30s', outputs: ['max'] }, /stalenessInterval=30s must be at least interval=1m/],
    [{ interval: '1m', by: ['job'], without: ['pod'], outputs: ['max'] }, /cannot both be set: keep one/],
    [{ interval: '1m' }, /outputs is required/],
    [{ interval: '1m', outputs: [] }, /outputs must not be empty/],
    [{ interval: '1m', outputs: ['bogus'] }, /unsupported output "bogus"/],
    [{ interval: '1m', outputs: ['max', 'min'], keepMetricNames: true }, /keepMetricNames needs exactly one output/],
  ];
  for (const [cfg, re] of cases) assert.throws(() => resolveAggregatorConfig(cfg), re, JSON.stringify(cfg));
  const ok = resolveAggregatorConfig({ interval: '1m', by: ['job', 'job'], outputs: ['max'] });
  assert.equal(ok.stalenessMs, 120_000, 'staleness defaults to 2 × interval');
  assert.deepEqual(ok.by, ['__name__', 'job']);
  assert.equal(ok.suffix, ':1m_by_job_');
});
