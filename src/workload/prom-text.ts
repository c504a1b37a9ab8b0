/**
 * The Prometheus text exposition lines the `--http` load mode sends to `/api/v1/import`:
 * `name{a="b",c="d"} value [timestamp_ms]`. Only what the workload needs: no HELP/TYPE semantics
 * (comment lines are skipped), no exemplars.
 */
import { METRIC_NAME_LABEL, type Label, type Series } from './labels.js';

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** One line per sample. */
export function formatPromText(series: readonly Series[]): string {
  let out = '';
  for (const s of series) {
    let name = '';
    const pairs: string[] = [];
    for (const l of s.labels) {
      if (l.name === METRIC_NAME_LABEL) name = l.value;
      else pairs.push(`${l.name}="${escapeLabelValue(l.value)}"`);
    }
    const head = pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
    for (const sample of s.samples) out += `${head} ${formatValue(sample.value)} ${sample.timestamp}\n`;
  }
  return out;
}

const NAME_RE = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;

class LineParser {
  pos = 0;
  constructor(readonly line: string, readonly lineNo: number) {}

  fail(what: string): never {
    throw new Error(`line ${this.lineNo}: ${what} at column ${this.pos + 1}: ${JSON.stringify(this.line)}`);
  }

  skipSpaces(): void {
    while (this.line[this.pos] === ' ' || this.line[this.pos] === '\t') this.pos++;
  }

  match(re: RegExp, what: string): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.line);
    if (!m) this.fail(`expected ${what}`);
    this.pos = re.lastIndex;
    return m[0];
  }

  quoted(): string {
    if (this.line[this.pos] !== '"') this.fail('expected a quoted label value');
    let value = '';
    for (let i = this.pos + 1; i < this.line.length; i++) {
      const c = this.line[i]!;
      if (c === '"') {
        this.pos = i + 1;
        return value;
      }
      if (c === '\\') {
        const next = this.line[++i];
        value += next === 'n' ? '\n' : next ?? '';
      } else {
        value += c;
      }
    }
    this.pos = this.line.length;
    return this.fail('unterminated label value');
  }

  labels(out: Label[]): void {
    this.pos++; // '{'
    for (;;) {
      this.skipSpaces();
      if (this.line[this.pos] === '}') break;
      const name = this.match(LABEL_NAME_RE, 'a label name');
      this.skipSpaces();
      if (this.line[this.pos] !== '=') this.fail('expected "="');
      this.pos++;
      this.skipSpaces();
      out.push({ name, value: this.quoted() });
      this.skipSpaces();
      if (this.line[this.pos] === ',') this.pos++;
      else if (this.line[this.pos] !== '}') this.fail('expected "," or "}"');
    }
    this.pos++; // '}'
  }

  token(): string {
    this.skipSpaces();
    const start = this.pos;
    while (this.pos < this.line.length && this.line[this.pos] !== ' ' && this.line[this.pos] !== '\t') this.pos++;
    return this.line.slice(start, this.pos);
  }
}

function parseValue(text: string, p: LineParser): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) p.fail(`invalid sample value "${text}"`);
  return v;
}

/** Parses exposition text; lines without a timestamp get `defaultTimestamp`. Throws on the first bad line. */
export function parsePromText(text: string, defaultTimestamp: number): Series[] {
  const out: Series[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const p = new LineParser(line, n + 1);
    const labels: Label[] = [{ name: METRIC_NAME_LABEL, value: p.match(NAME_RE, 'a metric name') }];
    if (line[p.pos] === '{') p.labels(labels);
    const value = parseValue(p.token(), p);
    const tsText = p.token();
    let timestamp = defaultTimestamp;
    if (tsText !== '') {
      timestamp = Number(tsText);
      if (!Number.isInteger(timestamp)) p.fail(`invalid timestamp "${tsText}"`);
    }
    if (p.token() !== '') p.fail('unexpected text after the timestamp');
    out.push({ labels, samples: [{ value, timestamp }] });
  }
  return out;
}
