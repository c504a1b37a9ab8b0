/**
 * A saved report read back (`leakprof report x.json`, `--base`): checked field by field against
 * the Report type before anything renders it, so a damaged or hand-edited file gets one line
 * naming the field (`processes[0].profiles[1].groups[3].count: expected a number, got "3"`),
 * never a TypeError from deep inside a renderer. Fields a reader does not know are left alone,
 * and so are values of string fields a newer leakprof may add to (an outcome kind, a frame kind):
 * only check's verdict status, which the text switches on, must be one it knows.
 */
import { REPORT_SCHEMA, type ProfileDescriptor, type ProfileReport, type Report } from './schema.js';

export class ReportShapeError extends Error {}

/** Where the checker is, as a stack of steps (`processes`, `[0]`, `.profiles`): joined only for a message. */
type Path = Array<string | number>;
type Check = (value: unknown, path: Path) => void;

const fail = (path: Path, expected: string, value: unknown): never => {
  throw new ReportShapeError(`${path.map((step) => (typeof step === 'number' ? `[${step}]` : step)).join('') || 'the top level'}: expected ${expected}, got ${describe(value)}`);
};

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const num: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(p, 'a number', v);
};
const str: Check = (v, p) => {
  if (typeof v !== 'string') fail(p, 'a string', v);
};
const bool: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'true or false', v);
};
const nullable =
  (check: Check): Check =>
  (v, p) => {
    if (v !== null) check(v, p);
  };
const oneOf =
  (...values: string[]): Check =>
  (v, p) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(p, `one of ${values.join(', ')}`, v);
  };
const list =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return fail(p, 'a list', v);
    for (let i = 0; i < v.length; i++) {
      p.push(i);
      check(v[i], p);
      p.pop();
    }
  };
/** An object with these fields; a name ending in `?` may be missing. */
const obj = (fields: Record<string, Check>): Check => {
  const entries = Object.entries(fields).map(([name, check]) => ({ key: name.replace(/\?$/, ''), optional: name.endsWith('?'), check }));
  return (v, p) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(p, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const { key, optional, check } of entries) {
      const value = Object.hasOwn(record, key) ? record[key] : undefined;
      if (optional && value === undefined) continue;
      p.push(p.length === 0 ? key : `.${key}`);
      check(value, p);
      p.pop();
    }
  };
};
const scalars: Check = (v, p) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(p, 'an object', v);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') fail([...p, `.${k}`], 'a string, number or boolean', x);
};

const frame = obj({ function: str, file: str, line: num, column: num, kind: str, 'async?': bool, 'evalOrigin?': str });
const frames = list(frame);
const location = obj({ file: str, line: num, column: num });

const group = obj({
  count: num,
  'bytes?': num,
  'estimated?': bool,
  'margin?': num,
  type: str,
  label: str,
  state: str,
  ageMinMs: num,
  ageMaxMs: num,
  keepsAlive: bool,
  internal: bool,
  'benign?': str,
  'hint?': str,
  frames: nullable(frames),
  top: nullable(frame),
  'source?': str,
  'createdBy?': obj({ asyncId: num, frames, top: nullable(frame) }),
  'waitingOn?': obj({ frames, top: nullable(frame) }),
  'growth?': obj({ perSecond: num, from: num, to: num, overMs: num, samples: num }),
  'peak?': num,
  entries: list(obj({ id: num, ageMs: num, trigger: num, 'details?': scalars })),
  'test?': str,
  'labels?': scalars,
});

const descriptor = obj({
  name: str,
  item: str,
  sampleTypes: list(obj({ type: str, unit: str, of: oneOf('count', 'bytes') })),
  'defaultSampleType?': str,
  holdsProcess: bool,
  'check?': obj({ flag: str, limit: num, 'endsWithExitCall?': bool }),
  'hint?': str,
  'user?': bool,
});

const heapLeaks = obj({
  snapshots: list(obj({ label: str, file: nullable(str), 'uptimeMs?': num, nodes: num, bytes: num })),
  total: num,
  totalBytes: num,
  groups: list(
    obj({
      name: str,
      nodeType: str,
      count: num,
      selfBytes: num,
      'retainedBytes?': num,
      countsBySnapshot: list(num),
      retainerPath: list(obj({ edge: str, edgeType: str, node: str, nodeType: str, id: num })),
      'location?': location,
      examples: list(num),
    }),
  ),
  notes: list(str),
});

const processReport = obj({
  pid: num,
  'thread?': obj({ id: num, file: str, status: oneOf('running', 'unref', 'ended', 'unknown'), 'parent?': num, 'createdAt?': str }),
  ppid: num,
  argv: list(str),
  execArgv: list(str),
  nodeVersion: str,
  snapshot: obj({ reason: str, time: str, uptimeMs: num, 'exitCode?': num, 'signal?': str }),
  blocked: bool,
  notes: list(str),
  stackMode: str,
  memory: obj({ rss: num, heapTotal: num, heapUsed: num, external: num, arrayBuffers: num }),
  'promiseCounts?': obj({ created: num, settled: num, stacked: num, abandoned: num, sampled: bool }),
  profiles: list(obj({ name: str, 'descriptor?': descriptor, total: num, 'totalBytes?': num, groups: list(group) })),
  summary: list(obj({ type: str, live: num, ref: num, unref: num, oldestMs: num, created: num, stacked: num })),
  'testRunner?': str,
  crossCheck: list(obj({ type: str, nodeName: str, collector: num, node: num })),
  'fdCounts?': obj({ tracked: num, 'open?': num }),
  'grew?': list(obj({ profile: str, group })),
  'settled?': list(obj({ type: str, why: str, count: num, location: nullable(str) })),
  'memorySamples?': list(obj({ t: num, heapUsed: num, rss: num, 'gc?': bool })),
  'heapLeaks?': heapLeaks,
});

const verdict = obj({
  status: oneOf('clean', 'leak', 'hang', 'failed'),
  exitCode: num,
  violations: list(
    obj({
      kind: str,
      pid: num,
      'threads?': list(num),
      'growing?': bool,
      message: str,
      count: num,
      'type?': str,
      'label?': str,
      'state?': str,
      'location?': obj({ file: str, line: num, column: num, function: str }),
      'test?': str,
      'tests?': list(str),
      'hint?': str,
    }),
  ),
  excluded: list(
    obj({
      kind: str,
      pid: num,
      count: num,
      type: str,
      label: str,
      state: str,
      'location?': str,
      why: str,
      reason: str,
    }),
  ),
  totals: list(obj({ kind: str, counted: num, limit: nullable(num), failOn: bool })),
  'baselineWritten?': obj({ file: str, groups: num, 'error?': str }),
});

const report = obj({
  tool: obj({ name: str, version: str }),
  command: list(str),
  cwd: str,
  startedAt: str,
  durationMs: num,
  outcome: obj({ kind: str, exitCode: nullable(num), signal: nullable(str), 'message?': str }),
  processes: list(processReport),
  'verdict?': verdict,
});

/** The parsed JSON as a Report, or a ReportShapeError naming the first field that is wrong. */
export function checkReportShape(value: unknown): Report {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ReportShapeError(`expected a leakprof report (an object with "schema": "${REPORT_SCHEMA}"), got ${describe(value)}`);
  const schema = (value as { schema?: unknown }).schema;
  if (typeof schema === 'string' && schema.startsWith('leakprof.report/') && schema !== REPORT_SCHEMA) {
    throw new ReportShapeError(`a leakprof report of another schema (${schema}; this leakprof reads ${REPORT_SCHEMA}): run the workload again with this version`);
  }
  if (schema !== REPORT_SCHEMA) {
    throw new ReportShapeError(`JSON, but not a leakprof report (schema ${describe(schema)}; expected "${REPORT_SCHEMA}" from \`leakprof run --json\`)`);
  }
  report(value, []);
  const checked = value as Report;
  for (const proc of checked.processes) for (const profile of proc.profiles) profile.descriptor ??= describedBy(profile);
  return checked;
}

/**
 * A report saved before profiles carried their descriptor: what its groups show of it (bytes
 * measured, items that held the process). It is never judged again, only read and written.
 */
function describedBy(profile: Omit<ProfileReport, 'descriptor'>): ProfileDescriptor {
  const bytes = profile.totalBytes !== undefined;
  return {
    name: profile.name,
    item: 'item',
    sampleTypes: bytes
      ? [
          { type: 'inuse_objects', unit: 'count', of: 'count' },
          { type: 'inuse_space', unit: 'bytes', of: 'bytes' },
        ]
      : [{ type: profile.name, unit: 'count', of: 'count' }],
    ...(bytes ? { defaultSampleType: 'inuse_space' } : {}),
    holdsProcess: profile.groups.some((g) => g.keepsAlive),
  };
}
