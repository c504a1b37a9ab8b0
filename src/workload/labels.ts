/** The label model shared by the compressor, the aggregator and the load driver (spec 1.1). */

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** A Prometheus-style time series: sorted labels (including `__name__`) and its samples. */
export interface Series {
  labels: Label[];
  samples: Sample[];
}

export const METRIC_NAME_LABEL = '__name__';

/** Sorts in place by name, then value, like Go's `promutils.Labels.Sort()`; returns the same array. */
export function sortLabels(labels: Label[]): Label[] {
  return labels.sort(compareLabels);
}

export function compareLabels(a: Label, b: Label): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return 0;
}

/** `name + "\x00" + value`: the map key both compressors use for a label (spec 1.4). */
export function labelKey(label: Label): string {
  return label.name + '\x00' + label.value;
}

/** UTF-8 byte length, what Go's `len(string)` counts in the size accounting. */
export function utf8Length(text: string): number {
  const n = text.length;
  // Fast path: pure ASCII is the common case for label names and values.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  }
  return n;
}

/** A key's bytes as a latin1 string, so it can key a Map; the inverse is `keyToBytes`. */
export function bytesToKey(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}
