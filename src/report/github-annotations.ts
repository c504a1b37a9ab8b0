/**
 * GitHub Actions annotations: `::error file=…,line=…::message`, one per violation, shown on
 * the pull request's diff. The runner reads workflow commands from both stdout and stderr of a
 * step; leakprof writes them to stderr so the workload's stdout (and --json) stays untouched.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Verdict } from './schema.js';

/**
 * Report paths are relative to the working directory; GitHub wants them relative to the
 * repository (GITHUB_WORKSPACE), which differs when check runs in a package of a monorepo.
 */
function repoPath(file: string, cwd: string, workspace: string | undefined): string | undefined {
  if (file.startsWith('node:') || file.startsWith('<')) return undefined;
  const absolute = resolve(cwd, file);
  const rel = relative(workspace || cwd, absolute);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

export function renderAnnotations(verdict: Verdict, cwd: string = process.cwd(), workspace: string | undefined = process.env.GITHUB_WORKSPACE): string {
  const lines: string[] = [];
  for (const v of verdict.violations) {
    const props = ['title=leakprof'];
    const file = v.location ? repoPath(v.location.file, cwd, workspace) : undefined;
    if (v.location && file) {
      props.unshift(`file=${property(file)}`, `line=${v.location.line}`, `col=${v.location.column}`);
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
