// Shared fixtures for the workload tests (not a test file itself: no .test.js suffix).
import { mulberry32 } from '../../dist/workload/index.js';

/** VictoriaMetrics' newTestSeries(S, L): S series × L labels, label_j = value_i_j, so every label is unique. */
export function newTestSeries(seriesCount, labelsPerSeries) {
  const out = [];
  for (let i = 0; i < seriesCount; i++) {
    const labels = [];
    for (let j = 0; j < labelsPerSeries; j++) labels.push({ name: `label_${j}`, value: `value_${i}_${j}` });
    out.push(labels);
  }
  return out;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz_0123456789 "\\\n\u00e9\u4e2d\u{1F600}';

export function randomLabelSets(seed, count) {
  const rnd = mulberry32(seed);
  const str = (max) => {
    const len = Math.floor(rnd() * max);
    let s = '';
    for (let i = 0; i < len; i++) s += [...ALPHABET][Math.floor(rnd() * [...ALPHABET].length)];
    return s;
  };
  const sets = [];
  for (let n = 0; n < count; n++) {
    const labels = [];
    const k = Math.floor(rnd() * 9);
    for (let i = 0; i < k; i++) labels.push({ name: str(6), value: str(12) });
    sets.push(labels);
  }
  return sets;
}

/** A series with one sample. */
export function series(labelsObj, value, timestamp = 1000) {
  return { labels: Object.entries(labelsObj).map(([name, v]) => ({ name, value: v })), samples: [{ value, timestamp }] };
}

export function labelsOf(s) {
  return Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
}
