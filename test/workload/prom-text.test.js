import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPromText, parsePromText } from '../../dist/workload/index.js';

test('parse: name, labels with escapes, value, optional timestamp, comments', () => {
  const text = [
    '# HELP x whatever',
    'up 1 1700000000000',
    'http_requests_total{job="api",path="/a\\"b\\\\c\\nd",} 12.5',
    'temp{ zone = "x" } -Inf 5',
    '',
  ].join('\n');
  assert.deepEqual(parsePromText(text, 42), [
    { labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1700000000000 }] },
    {
      labels: [{ name: '__name__', value: 'http_requests_total' }, { name: 'job', value: 'api' }, { name: 'path', value: '/a"b\\c\nd' }],
      samples: [{ value: 12.5, timestamp: 42 }],
    },
    { labels: [{ name: '__name__', value: 'temp' }, { name: 'zone', value: 'x' }], samples: [{ value: -Infinity, timestamp: 5 }] },
  ]);
});

test('format then parse is the identity', () => {
  const series = [
    { labels: [{ name: '__name__', value: 'm' }, { name: 'a', value: 'x "q" \\ \n é' }], samples: [{ value: 3, timestamp: 7 }, { value: NaN, timestamp: 8 }] },
    { labels: [{ name: '__name__', value: 'n' }], samples: [{ value: 1e-9, timestamp: 9 }] },
  ];
  const text = formatPromText(series);
  assert.equal(text.split('\n').length, 4);
  const back = parsePromText(text, 0);
  assert.deepEqual(back[0].labels, series[0].labels);
  assert.deepEqual(back[0].samples, [{ value: 3, timestamp: 7 }]);
  assert.ok(Number.isNaN(back[1].samples[0].value));
  assert.deepEqual(back[2], series[1]);
});

test('bad lines name the line and what was expected', () => {
  assert.throws(() => parsePromText('ok 1\n{a="b"} 1', 0), /line 2: expected a metric name/);
  assert.throws(() => parsePromText('m{a=b} 1', 0), /line 1: expected a quoted label value/);
  assert.throws(() => parsePromText('m{a="b" 1', 0), /expected "," or "}"/);
  assert.throws(() => parsePromText('m{a="b} 1', 0), /unterminated label value/);
  assert.throws(() => parsePromText('m abc', 0), /invalid sample value "abc"/);
  assert.throws(() => parsePromText('m 1 1.5', 0), /invalid timestamp/);
  assert.throws(() => parsePromText('m 1 2 3', 0), /unexpected text/);
});
