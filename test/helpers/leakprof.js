// Runs the real CLI (bin/leakprof.js) in a child process, the way a user would, and hands
// back what it printed. Everything uses process.execPath, so the suite tests whichever
// Node runs it (CI puts Node 20, 22 and 24 first on PATH in turn).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'leakprof.js');

/** The environment the CLI runs in: this one, minus what would change its output or the workload's. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'LEAKPROF_VERBOSE']) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Runs `file args…` (cwd = repository root unless given) in cleanEnv(env) and resolves with the
 * exit code (or the signal), stdout and stderr; never rejects on a non-zero exit.
 */
export function spawnCollect(file, args, { cwd = ROOT, env, stdin = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env: cleanEnv(env), stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `node bin/leakprof.js <args…>`, cwd = repository root (or `cwd`). */
export function leakprofCli(args, { env, stdin = 'ignore', cwd = ROOT } = {}) {
  return spawnCollect(process.execPath, [BIN, ...args], { cwd, env, stdin });
}

/**
 * `leakprof run --json [flags] <target…>`: the report parsed from stdout (fixtures print
 * nothing to stdout), stderr and the exit code.
 */
export async function runLeakprof(flagsAndTarget, options = {}) {
  const result = await leakprofCli(['run', '--json', ...flagsAndTarget], options);
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch (error) {
    throw new Error(`leakprof printed no JSON report (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`, { cause: error });
  }
  return { report, stderr: result.stderr, code: result.code };
}

/** The 1-based line of the one line in `file` (relative to the root) that carries `// <marker>`. */
export function markerLine(file, marker) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const tag = `// ${marker}`;
  const hits = lines.flatMap((text, i) => (text.includes(tag) && !text.slice(text.indexOf(tag) + tag.length).match(/^\w/) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`${file}: expected exactly one line marked "${tag}", found ${hits.length}`);
  return hits[0];
}

/** The reported process that ran `file` (its argv[1] ends with it). */
export function processFor(report, file) {
  const proc = report.processes.find((p) => typeof p.argv[1] === 'string' && p.argv[1].endsWith(file));
  if (!proc) throw new Error(`no process ran ${file}; processes: ${report.processes.map((p) => p.argv.join(' ')).join(' | ')}`);
  return proc;
}

/** Every group of a process's handles profile. */
export function handleGroups(proc) {
  return proc.profiles.find((p) => p.name === 'handles')?.groups ?? [];
}

/** What `run` calls a leak: keeps the loop alive, made by the workload, not a never-leaking kind. */
export function leaks(proc) {
  return handleGroups(proc).filter((g) => g.keepsAlive && !g.internal && !g.benign);
}

/** Where a group was created: its top user frame, or Go's "created by" when it has none. */
export function location(group) {
  const top = group.top ?? group.createdBy?.top ?? null;
  return top ? `${top.file}:${top.line}` : null;
}

/** Compact description of groups for assertion messages. */
export function describeGroups(groups) {
  return groups.map((g) => `${g.count} @ ${g.label} ${g.state} ${location(g) ?? '(no user frame)'}${g.internal ? ' internal' : ''}${g.benign ? ' benign' : ''}`).join('\n');
}

/**
 * --timeout for leaky fixtures: long enough for a fixture to start and do its work on a
 * loaded 2-core machine running the suite concurrently, short enough to keep the suite fast.
 * SLOW_TIMEOUT is for fixtures that do real I/O first (20 HTTP requests).
 */
export const TIMEOUT = process.env.LEAKPROF_TEST_TIMEOUT ?? '3s';

/**
 * For a fixture that does its work and then stays alive on what it leaked: leakprof ends it
 * once every process has been idle (asleep, using no CPU) for a second, which follows the
 * fixture's own progress however loaded the machine is; --timeout is only a generous bound.
 */
export const UNTIL_IDLE = ['--idle', '1s', '--timeout', '120s'];

/** Every group of a process's profile `name` (handles, async, listeners). */
export function profileGroups(proc, name) {
  return proc.profiles.find((p) => p.name === name)?.groups ?? [];
}

/** Groups a report shows by default (the user's, not Node's own). */
export function visible(groups) {
  return groups.filter((g) => !g.internal && !g.benign);
}
