/**
 * `go tool pprof -top` and `-traces`, printed the way Go prints them (same header lines, same
 * columns, same units and rounding), so a person, a diff or a test can put the two side by side.
 * The rules (node per function, 0.5% node cut-off, one output unit for the table) follow
 * google/pprof's internal/report and internal/measurement.
 */
import { zoneAbbreviation } from '../util/time-zone.js';
import { frameName, ProfileFormatError, type PprofData, type PprofFrame } from './pprof-model.js';

interface Unit {
  name: string;
  aliases: string[];
  factor: number;
}

const UNIT_TYPES: Array<{ units: Unit[]; defaultUnit: Unit }> = [
  {
    units: [
      { name: 'B', aliases: ['b', 'byte'], factor: 1 },
      { name: 'kB', aliases: ['kb', 'kbyte', 'kilobyte'], factor: 2 ** 10 },
      { name: 'MB', aliases: ['mb', 'mbyte', 'megabyte'], factor: 2 ** 20 },
      { name: 'GB', aliases: ['gb', 'gbyte', 'gigabyte'], factor: 2 ** 30 },
      { name: 'TB', aliases: ['tb', 'tbyte', 'terabyte'], factor: 2 ** 40 },
      { name: 'PB', aliases: ['pb', 'pbyte', 'petabyte'], factor: 2 ** 50 },
    ],
    defaultUnit: { name: 'B', aliases: [], factor: 1 },
  },
  {
    units: [
      { name: 'ns', aliases: ['ns', 'nanosecond'], factor: 1 },
      { name: 'us', aliases: ['μs', 'us', 'microsecond'], factor: 1e3 },
      { name: 'ms', aliases: ['ms', 'millisecond'], factor: 1e6 },
      { name: 's', aliases: ['s', 'sec', 'second'], factor: 1e9 },
      { name: 'hrs', aliases: ['hour', 'hr'], factor: 3600e9 },
    ],
    defaultUnit: { name: 's', aliases: [], factor: 1e9 },
  },
];

function sniff(units: Unit[], unit: string): Unit | undefined {
  let u = unit.toLowerCase();
  if (u.length > 2 && u.endsWith('s')) u = u.slice(0, -1);
  return units.find((x) => x.name.toLowerCase() === u || x.aliases.includes(u));
}

/** measurement.Scale: value in `from` expressed in `to` ("minimum"/"auto": the largest unit that keeps it >= 1). */
export function scale(value: number, from: string, to: string): [number, string] {
  if (value < 0) {
    const [v, u] = scale(-value, from, to);
    return [-v, u];
  }
  for (const ut of UNIT_TYPES) {
    const fromUnit = sniff(ut.units, from);
    if (!fromUnit) continue;
    const v = value * fromUnit.factor;
    if (to === 'minimum' || to === 'auto') {
      let best: Unit | undefined;
      for (const u of ut.units) if ((!best || u.factor >= best.factor) && v / u.factor >= 1) best = u;
      return best ? [v / best.factor, best.name] : [v / ut.defaultUnit.factor, ut.defaultUnit.name];
    }
    const toUnit = sniff(ut.units, to) ?? ut.defaultUnit;
    return [v / toUnit.factor, toUnit.name];
  }
  return ['count', 'sample', 'unit', 'minimum', 'auto'].includes(to) ? [value, ''] : [value, to];
}

/**
 * Go's %.2f: JavaScript's toFixed rounds an exact tie (1.125) up, Go to even (1.12). A binary
 * number ends in a decimal 5 at the third place only when it is an odd number of eighths.
 */
function fixed2(v: number): string {
  const a = Math.abs(v);
  if (Number.isInteger(a * 8) && !Number.isInteger(a * 4) && a < 2 ** 40) {
    const low = Math.floor(a * 100);
    const even = low % 2 === 0 ? low : low + 1;
    return `${v < 0 ? '-' : ''}${(even / 100).toFixed(2)}`;
  }
  return v.toFixed(2);
}

/** measurement.ScaledLabel: two decimals, `.00` dropped, bare `0` for zero. */
export function scaledLabel(value: number, from: string, to: string): string {
  const [v, u] = scale(value, from, to);
  const sv = fixed2(v).replace(/\.00$/, '');
  return sv === '0' || sv === '-0' ? '0' : `${sv}${u}`;
}

/** Go's %5.2g. */
function g2(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(2)))));
  if (exp < -4 || exp >= 2) {
    const [m, e] = x.toExponential(1).split('e') as [string, string];
    const n = Number(e);
    return `${m.replace(/\.0$/, '')}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(x.toPrecision(2)));
}

/** measurement.Percentage. */
export function percentage(value: number, total: number): string {
  const ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) return '  100%';
  if (ratio >= 1) return `${fixed2(ratio).padStart(5)}%`;
  return `${g2(ratio).padStart(5)}%`;
}

export interface PprofTextOptions {
  /** Sample type name or index; default: the profile's default sample type, else the last. */
  sampleIndex?: string;
  /** Keep at most this many rows in -top (0: all, as `go tool pprof -top` prints). */
  nodeCount?: number;
}

export function sampleIndexOf(data: PprofData, wanted?: string): number {
  if (wanted === undefined || wanted === '') {
    const i = data.defaultSampleType ? data.sampleTypes.findIndex((t) => t.type === data.defaultSampleType) : -1;
    return i >= 0 ? i : data.sampleTypes.length - 1;
  }
  const byName = data.sampleTypes.findIndex((t) => t.type === wanted);
  if (byName >= 0) return byName;
  const n = Number(wanted);
  if (Number.isInteger(n) && n >= 0 && n < data.sampleTypes.length) return n;
  throw new ProfileFormatError(`--sample-index ${wanted}: this profile has ${data.sampleTypes.map((t) => t.type).join(', ')}`);
}

/** The lines above the table: File, Build ID, comments, Type, Time, Duration (report.ProfileLabels). */
function headerLines(data: PprofData, index: number, total: number, outputUnit = 'minimum'): string[] {
  const unit = data.sampleTypes[index]!.unit;
  const lines: string[] = [];
  if (data.mainFile) lines.push(`File: ${data.mainFile.split('/').pop()}`);
  if (data.buildId) lines.push(`Build ID: ${data.buildId}`);
  for (const c of data.comments) if (!c.startsWith('#')) lines.push(c);
  lines.push(`Type: ${data.sampleTypes[index]!.type}`);
  if (data.timeNanos) lines.push(`Time: ${formatTime(data.timeNanos)}`);
  if (data.durationNanos) {
    const [nanos, u] = scale(total, unit, 'nanoseconds');
    const ratio = u === 'ns' && nanos !== 0 ? ` (${percentage(nanos, data.durationNanos)})` : ' ';
    lines.push(`Duration: ${scaledLabel(data.durationNanos, 'nanoseconds', 'minimum')}, Total samples = ${scaledLabel(total, unit, outputUnit)}${ratio}`);
  }
  return lines;
}

/** Go's "Jan 2, 2006 at 3:04pm (MST)", in local time. */
function formatTime(nanos: number): string {
  const d = new Date(nanos / 1e6);
  const month = d.toLocaleString('en-US', { month: 'short' });
  const h = d.getHours() % 12 || 12;
  // Go prints the tz database's abbreviation (JST); ICU's short name is GMT+9 outside the US.
  const zone = zoneAbbreviation(d) ?? new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${month} ${d.getDate()}, ${d.getFullYear()} at ${h}:${String(d.getMinutes()).padStart(2, '0')}${d.getHours() < 12 ? 'am' : 'pm'} (${zone})`;
}

export interface TopRow {
  name: string;
  flat: number;
  cum: number;
  /** How it was called: inlined into every caller (yes), into some (partial), or never (no / absent). */
  inline?: 'yes' | 'partial' | 'no';
}

export interface TopTable {
  type: string;
  unit: string;
  total: number;
  /** Sum of the shown rows' flat values. */
  shown: number;
  dropped: number;
  /** Rows before --nodecount cut them. */
  found: number;
  rows: TopRow[];
}

/** pprof's node identity at function granularity: the function name; the binary only for unnamed frames. */
function nodeKey(f: PprofFrame): string {
  return f.name ? `${f.name}\u0000` : `\u0000${f.objfile}`;
}

/** The -top table: per function, flat (as the leaf) and cum (anywhere in the stack, once per sample). */
export function topTable(data: PprofData, options: PprofTextOptions = {}): TopTable {
  const index = sampleIndexOf(data, options.sampleIndex);
  const { type, unit } = data.sampleTypes[index]!;
  const build = (keep?: Set<string>) => {
    const nodes = new Map<string, TopRow>();
    // Caller -> callee edges, inline only if every call along them was inlined (as pprof's graph keeps them).
    const edges = new Map<string, { callee: string; inline: boolean }>();
    for (const s of data.samples) {
      const v = s.values[index]!;
      if (v === 0) continue;
      const seen = new Set<string>();
      let parent: string | undefined;
      let leafKept = false;
      // Root to leaf, so each frame's caller is known.
      for (let i = s.frames.length - 1; i >= 0; i--) {
        const f = s.frames[i]!;
        const key = nodeKey(f);
        if (keep && !keep.has(key)) continue;
        if (i === 0) leafKept = true;
        let node = nodes.get(key);
        if (!node) nodes.set(key, (node = { name: frameName(f), flat: 0, cum: 0 }));
        if (!seen.has(key)) {
          seen.add(key);
          node.cum += v;
        }
        if (parent !== undefined) {
          const edgeKey = `${parent}\u0001${key}`;
          const edge = edges.get(edgeKey);
          if (edge) edge.inline &&= Boolean(f.inlined);
          else edges.set(edgeKey, { callee: key, inline: Boolean(f.inlined) });
        }
        parent = key;
      }
      if (leafKept && s.frames.length > 0) nodes.get(nodeKey(s.frames[0]!))!.flat += v;
    }
    for (const { callee, inline } of edges.values()) {
      const node = nodes.get(callee)!;
      if (inline) node.inline = node.inline === 'no' || node.inline === 'partial' ? 'partial' : 'yes';
      else node.inline = node.inline === 'yes' || node.inline === 'partial' ? 'partial' : 'no';
    }
    return nodes;
  };
  let total = 0;
  for (const s of data.samples) total += Math.abs(s.values[index]!);
  let nodes = build();
  let flatSum = 0;
  for (const n of nodes.values()) flatSum += n.flat;
  const cutoff = Math.abs(Math.trunc(flatSum * 0.005));
  let dropped = 0;
  if (cutoff > 0) {
    const keep = new Set([...nodes].filter(([, n]) => Math.abs(n.cum) >= cutoff).map(([k]) => k));
    if (keep.size !== nodes.size) {
      dropped = nodes.size - keep.size;
      nodes = build(keep);
    }
  }
  // Functions whose values cancel out (a --base difference) are not shown, as in pprof.
  let entries = [...nodes].filter(([, n]) => n.flat !== 0 || n.cum !== 0).sort(
    ([, a], [, b]) => Math.abs(b.flat) - Math.abs(a.flat) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || Math.abs(b.cum) - Math.abs(a.cum),
  );
  const found = entries.length;
  if (options.nodeCount && options.nodeCount > 0 && entries.length > options.nodeCount) {
    entries = entries.slice(0, options.nodeCount);
    // pprof rebuilds its graph from the kept nodes: the values stay, but a node whose callers were all cut has no edge in, so no (inline).
    const kept = build(new Set(entries.map(([k]) => k)));
    entries = entries.map(([k, n]) => [k, { ...n, inline: kept.get(k)?.inline }]);
  }
  const rows = entries.map(([, n]) => n);
  return { type, unit, total, shown: rows.reduce((sum, r) => sum + r.flat, 0), dropped, found, rows };
}

/** report.selectOutputUnit: one unit for the whole table, from the smallest non-zero value and the total. */
function tableUnit(table: TopTable): string {
  let min = 0;
  for (const r of table.rows) {
    const v = Math.abs(r.flat) || Math.abs(r.cum);
    if (v > 0 && (min === 0 || v < min)) min = v;
  }
  if (table.rows.length === 0) return 'minimum';
  const max = table.total;
  if (min === 0) min = max;
  const [, minUnit] = scale(min, table.unit, 'minimum');
  const [, maxUnit] = scale(max, table.unit, 'minimum');
  let unit = minUnit;
  if (minUnit !== maxUnit && min * 100 < max) unit = scale(100 * min, table.unit, 'minimum')[1];
  return unit || table.unit;
}

export function renderTop(data: PprofData, options: PprofTextOptions = {}): string {
  const index = sampleIndexOf(data, options.sampleIndex);
  const table = topTable(data, options);
  const out = tableUnit(table);
  const fmt = (v: number) => scaledLabel(v, table.unit, out);
  // -top has chosen its unit by the time pprof prints the header: the total there uses it too.
  const lines = headerLines(data, index, table.total, out);
  lines.push(`Showing nodes accounting for ${fmt(table.shown)}, ${percentage(table.shown, table.total).trim()} of ${fmt(table.total)} total`);
  if (table.total !== 0 && table.dropped > 0) lines.push(`Dropped ${table.dropped} node${table.dropped > 1 ? 's' : ''} (cum <= ${fmt(Math.abs(Math.trunc(table.total * 0.005)))})`);
  if (table.total !== 0 && table.rows.length < table.found) lines.push(`Showing top ${table.rows.length} nodes out of ${table.found}`);
  lines.push(`${'flat'.padStart(10)} ${'flat'.padStart(5)}% ${'sum'.padStart(5)}% ${'cum'.padStart(10)} ${'cum'.padStart(5)}%`);
  let sum = 0;
  for (const r of table.rows) {
    sum += r.flat;
    lines.push(`${fmt(r.flat).padStart(10)} ${percentage(r.flat, table.total)} ${percentage(sum, table.total)} ${fmt(r.cum).padStart(10)} ${percentage(r.cum, table.total)}  ${r.name}${r.inline === 'yes' ? ' (inline)' : r.inline === 'partial' ? ' (partial-inline)' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The unit of each numeric label: the first one a sample states, else guessed from the key (profile.NumLabelUnits). */
function numLabelUnits(data: PprofData): Map<string, string> {
  const units = new Map<string, string>();
  for (const s of data.samples) {
    for (const [key, ns] of Object.entries(s.numLabels)) {
      for (const n of ns) if (n.unit && !units.has(key)) units.set(key, n.unit);
      if (!units.has(key) && ns.every((n) => !n.unit)) units.set(key, '');
    }
  }
  for (const [key, unit] of units) if (!unit) units.set(key, key === 'alignment' || key === 'request' ? 'bytes' : key);
  return units;
}

const SEPARATOR = '-----------+-------------------------------------------------------';

/** -traces: every sample, its labels, its value, its stack leaf first. */
export function renderTraces(data: PprofData, options: PprofTextOptions = {}): string {
  const index = sampleIndexOf(data, options.sampleIndex);
  const { unit } = data.sampleTypes[index]!;
  let total = 0;
  for (const s of data.samples) total += Math.abs(s.values[index]!);
  const lines = headerLines(data, index, total);
  const units = numLabelUnits(data);
  for (const s of data.samples) {
    if (s.frames.length === 0) continue;
    lines.push(SEPARATOR);
    const labels = Object.entries(s.labels).map(([k, vs]) => `${k.padStart(10)}:  ${vs.join(' ')}`);
    lines.push(...labels.sort());
    const nums = Object.entries(s.numLabels).map(([k, ns]) => `${k.padStart(10)}:  ${ns.map((n) => scaledLabel(n.value, units.get(k) ?? k, 'auto')).join(' ')}`);
    lines.push(...nums.sort());
    s.frames.forEach((f, i) => {
      const value = i === 0 ? scaledLabel(s.values[index]!, unit, 'minimum') : '';
      lines.push(`${value.padStart(10)}   ${frameName(f)}${f.inlined ? ' (inline)' : ''}`);
    });
  }
  lines.push(SEPARATOR);
  return `${lines.join('\n')}\n`;
}
