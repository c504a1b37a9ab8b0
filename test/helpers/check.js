// `leakprof check` as a user runs it, for the check tests: the exit code is the verdict.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, leakprofCli, spawnCollect } from './leakprof.js';

export { ROOT };

/** `leakprof check --json <args…>`: the report (with its verdict) parsed from stdout. */
export async function checkJson(args, options = {}) {
  const result = await leakprofCli(['check', '--json', ...args], options);
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch (error) {
    throw new Error(`check printed no JSON report (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`, { cause: error });
  }
  return { ...result, report, verdict: report.verdict };
}

/** `leakprof check <args…>` with text output. */
export function check(args, options = {}) {
  return leakprofCli(['check', ...args], options);
}

/** The CLI in another working directory (for config files). */
export function checkIn(cwd, args, env = {}) {
  return leakprofCli(['check', ...args], { cwd, env: { GITHUB_ACTIONS: undefined, ...env } });
}

/**
 * `leakprof check --timeout T -o report.json [flags] -- <command…>` (in `cwd`): what it printed,
 * its exit code and the verdict from the report file, so the command's own stdout stays its own.
 */
export async function checkToFile(command, { flags = [], cwd = ROOT, env = {}, timeout = '180s' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-check-'));
  const out = join(dir, 'report.json');
  try {
    const result = await checkIn(cwd, ['--timeout', timeout, '-o', out, ...flags, '--', ...command], env);
    let report;
    try {
      report = JSON.parse(readFileSync(out, 'utf8'));
    } catch (error) {
      throw new Error(`no report (exit ${result.code}):\n${result.stderr}`, { cause: error });
    }
    return { ...result, report, verdict: report.verdict };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a plain Node script (an API fixture) and parses the JSON it prints. */
export async function nodeJson(args, { env = {} } = {}) {
  const { code, stdout, stderr } = await spawnCollect(process.execPath, args, { env });
  try {
    return { code, out: JSON.parse(stdout), stderr };
  } catch {
    throw new Error(`no JSON from ${args.join(' ')} (exit ${code}):\n${stdout}\n${stderr}`);
  }
}

/** "file:line" of each violation. */
export const where = (verdict) => verdict.violations.map((v) => (v.location ? `${v.location.file}:${v.location.line}` : null));
