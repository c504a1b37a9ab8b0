/**
 * GitHub Actions annotations: `::error file=…,line=…::message`, one per violation, shown on
 * the pull request's diff. The runner reads workflow commands from both stdout and stderr of a
 * step; leakprof writes them to stderr so the workload's stdout (and --json) stays untouched.
 */
import type { Verdict } from './schema.js';

export function renderAnnotations(verdict: Verdict): string {
  const lines: string[] = [];
  for (const v of verdict.violations) {
    const props = ['title=leakprof'];
    if (v.location && !v.location.file.startsWith('node:') && !v.location.file.startsWith('/')) {
      props.unshift(`file=${property(v.location.file)}`, `line=${v.location.line}`, `col=${v.location.column}`);
    }
    lines.push(`::error ${props.join(',')}::${data(v.message)}`);
  }
  if (verdict.status === 'hang') lines.push(`::error title=leakprof::${data('the workload was still running after --timeout: see the hang report in the log')}`);
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function inGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

function data(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function property(text: string): string {
  return data(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
