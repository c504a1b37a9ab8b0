/**
 * check's verdict as JUnit XML, the format every CI system shows: one testcase per
 * violation (failed, with its message and stack), or one passing testcase when clean.
 */
import { HEAP_GROWTH, type Verdict, type Violation } from './schema.js';

export function renderJunit(verdict: Verdict, details: (v: Violation) => string, durationMs: number): string {
  const seconds = (durationMs / 1000).toFixed(3);
  const cases: string[] = [];
  for (const v of verdict.violations) {
    const where = v.location ? ` at ${v.location.file}:${v.location.line}` : '';
    const name = v.kind === HEAP_GROWTH ? 'heap growth' : `${v.count} × ${v.label ?? v.type} ${v.state ?? ''}`.trim() + where + (v.test ? ` (in test ${v.test})` : v.tests ? ` (in ${v.tests.length} tests)` : '');
    const file = v.location ? ` file="${xml(v.location.file)}" line="${v.location.line}"` : '';
    cases.push(
      `    <testcase classname="leakprof.${xml(v.kind)}" name="${xml(name)}"${file} time="0">\n` +
        `      <failure type="${v.kind === HEAP_GROWTH ? 'heap' : 'leak'}" message="${xml(v.message)}">${xml(details(v))}</failure>\n` +
        '    </testcase>',
    );
  }
  if (verdict.status === 'hang') {
    cases.push(`    <testcase classname="leakprof.workload" name="the workload finished before --timeout" time="${seconds}">\n      <failure type="hang" message="the workload was still running after --timeout"/>\n    </testcase>`);
  } else if (verdict.status === 'failed') {
    cases.push(`    <testcase classname="leakprof.workload" name="the workload exited with code 0" time="${seconds}">\n      <failure type="failed" message="the workload exited with code ${verdict.exitCode}"/>\n    </testcase>`);
  }
  if (cases.length === 0) cases.push(`    <testcase classname="leakprof.check" name="no leaks" time="${seconds}"/>`);
  const failures = cases.filter((c) => c.includes('<failure')).length;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="leakprof check" tests="${cases.length}" failures="${failures}" time="${seconds}">\n` +
    `  <testsuite name="leakprof check" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}">\n` +
    `${cases.join('\n')}\n` +
    '  </testsuite>\n' +
    '</testsuites>\n'
  );
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Control characters are not allowed in XML 1.0 (ANSI colour codes among them).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
