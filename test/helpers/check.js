// `leakprof check` as a user runs it, for the check tests: the exit code is the verdict.
import { spawn } from 'node:child_process';
import { BIN, ROOT, leakprofCli } from './leakprof.js';

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
  return new Promise((resolve, reject) => {
    const e = { ...process.env, ...env };
    for (const name of ['FORCE_COLOR', 'NO_COLOR', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'GITHUB_ACTIONS']) if (!(name in env)) delete e[name];
    const child = spawn(process.execPath, [BIN, 'check', ...args], { cwd, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a plain Node script (an API fixture) and parses the JSON it prints. */
export function nodeJson(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const e = { ...process.env, ...env };
    delete e.NODE_TEST_CONTEXT;
    delete e.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, out: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`no JSON from ${args.join(' ')} (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** "file:line" of each violation. */
export const where = (verdict) => verdict.violations.map((v) => (v.location ? `${v.location.file}:${v.location.line}` : null));
