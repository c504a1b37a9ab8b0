// Real-project acceptance: runs a project's own test command bare, under `leakprof check` and under
// `leakprof check --promises` (this repo's bin/leakprof.js, cwd = the project's folder), one after the
// other, and records for each run: exit code, wall time, the runner's pass/fail counts, and for the
// check runs the verdict and every flagged group (type, location, test). Results are merged by
// project name into bench/results/real-projects.json; a short table goes to stdout.
//
//   node bench/real-projects.js --dir /work/scratch/ws --runner mocha -- npx mocha test/
//   node bench/real-projects.js --projects projects.json   # [{ name, dir, runner, command: [...] }]
//
// Options: --name <n> (default: the folder's name), --modes bare,check,promises, --timeout <s> (per
// run, default 900), --rounds <n> (alternated; medians, default 1), --flag <arg> (extra argument for
// both check runs, repeatable), --logs <dir> (keep each run's output and report), --out <file>,
// --leakprof <bin/leakprof.js> (another build of leakprof, e.g. a branch's).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODES = ['bare', 'check', 'promises'];

function usage(message) {
  console.error(`real-projects: ${message}`);
  console.error('usage: node bench/real-projects.js --dir <folder> --runner <mocha|node:test|jest|vitest> [--name n] -- <command...>');
  console.error('       node bench/real-projects.js --projects <list.json>');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { bin: join(root, 'bin/leakprof.js'), modes: MODES, timeout: 900, rounds: 1, flags: [], out: join(root, 'bench/results/real-projects.json') };
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  if (dash !== -1) opts.command = argv.slice(dash + 1);
  for (let i = 0; i < own.length; i++) {
    const key = own[i];
    const value = own[i + 1];
    if (value === undefined) usage(`${key} needs a value`);
    i++;
    if (key === '--dir') opts.dir = resolve(value);
    else if (key === '--runner') opts.runner = value;
    else if (key === '--name') opts.name = value;
    else if (key === '--projects') opts.projects = resolve(value);
    else if (key === '--modes') opts.modes = value.split(',');
    else if (key === '--timeout') opts.timeout = Number(value);
    else if (key === '--rounds') opts.rounds = Number(value);
    else if (key === '--flag') opts.flags.push(value);
    else if (key === '--logs') opts.logs = resolve(value);
    else if (key === '--out') opts.out = resolve(value);
    else if (key === '--leakprof') opts.bin = resolve(value);
    else usage(`unknown option ${key}`);
  }
  for (const m of opts.modes) if (!MODES.includes(m)) usage(`unknown mode ${m} (${MODES.join(', ')})`);
  if (!(opts.timeout > 0) || !(opts.rounds >= 1)) usage('--timeout and --rounds take positive numbers');
  return opts;
}

function projectsFrom(opts) {
  if (opts.projects) {
    let list;
    try {
      list = JSON.parse(readFileSync(opts.projects, 'utf8'));
    } catch (err) {
      usage(`cannot read ${opts.projects}: ${err.message}`);
    }
    if (!Array.isArray(list)) usage(`${opts.projects} must hold a JSON array of { name, dir, runner, command }`);
    return list.map((p) => ({ ...p, dir: resolve(p.dir), name: p.name ?? basename(p.dir) }));
  }
  if (!opts.dir || !opts.command?.length) usage('give --dir and a command after --, or --projects');
  return [{ name: opts.name ?? basename(opts.dir), dir: opts.dir, runner: opts.runner ?? 'unknown', command: opts.command, env: {} }];
}

/** Runs argv in cwd, its whole process group ended after timeoutS; output is captured, not shown. */
function run(argv, cwd, env, timeoutS) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutS * 1000);
    let error;
    child.on('error', (err) => (error = err.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (error) console.error(`real-projects: ${argv[0]}: ${error}`);
      done({ code: error ? null : (code ?? signal), error, ms: Math.round(performance.now() - t0), timedOut, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const sum = (text, re) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);

/** The runner's own pass/fail counts, summed over every summary it printed (several files or scripts). */
export function parseTests(runner, raw) {
  const text = strip(raw);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const summary = { mocha: /^\s*\d+ (passing|failing)/m, 'node:test': /^(#|ℹ) tests \d+/m, jest: /^Tests:\s/m, vitest: /^\s*Tests\s+.*\(\d+\)\s*$/m }[runner];
  if (!summary?.test(text)) return undefined;
  if (runner === 'mocha') {
    counts.passed = sum(text, /^\s*(\d+) passing/gm);
    counts.failed = sum(text, /^\s*(\d+) failing/gm);
    counts.skipped = sum(text, /^\s*(\d+) pending/gm);
  } else if (runner === 'node:test') {
    counts.passed = sum(text, /^(?:#|ℹ) pass (\d+)/gm);
    counts.failed = sum(text, /^(?:#|ℹ) fail (\d+)/gm) + sum(text, /^(?:#|ℹ) cancelled (\d+)/gm);
    counts.skipped = sum(text, /^(?:#|ℹ) skipped (\d+)/gm) + sum(text, /^(?:#|ℹ) todo (\d+)/gm);
  } else if (runner === 'jest') {
    for (const m of text.matchAll(/^Tests:\s+(.*)$/gm)) {
      counts.passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
      counts.failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
      counts.skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0) + Number(/(\d+) todo/.exec(m[1])?.[1] ?? 0);
    }
  } else if (runner === 'vitest') {
    for (const m of text.matchAll(/^\s*Tests\s+(.*\(\d+\))\s*$/gm)) {
      counts.passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
      counts.failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
      counts.skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0) + Number(/(\d+) todo/.exec(m[1])?.[1] ?? 0);
    }
  } else return undefined;
  return counts;
}

function flaggedFrom(report) {
  const violations = report?.verdict?.violations ?? [];
  return violations.map((v) => ({
    kind: v.kind,
    type: v.type ?? v.kind,
    state: v.state,
    count: v.count,
    location: v.location ? `${v.location.file}:${v.location.line}` : undefined,
    test: v.test,
    pid: v.pid,
    message: v.message,
  }));
}

function excludedFrom(report) {
  const by = {};
  for (const e of report?.verdict?.excluded ?? []) by[e.why] = (by[e.why] ?? 0) + e.count;
  return by;
}

async function runMode(project, mode, opts, scratch, round) {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...(project.env ?? {}) };
  const cmd = project.command;
  if (mode === 'bare') return run(cmd, project.dir, env, opts.timeout);
  const out = join(scratch, `${mode}-${round}.json`);
  const flags = [...opts.flags, ...(project.flags ?? []), ...(mode === 'promises' ? ['--promises'] : [])];
  // leakprof's own --timeout comes first, so a hang still yields a report (exit 124).
  const argv = [process.execPath, opts.bin, 'check', '--timeout', `${Math.max(1, opts.timeout - 30)}s`, '-o', out, ...flags, '--', ...cmd];
  const r = await run(argv, project.dir, env, opts.timeout);
  let report;
  if (existsSync(out)) {
    try {
      report = JSON.parse(readFileSync(out, 'utf8'));
    } catch {}
  }
  return { ...r, report };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runProject(project, opts) {
  if (!existsSync(project.dir)) throw new Error(`no folder ${project.dir}`);
  const scratch = mkdtempSync(join(tmpdir(), 'leakprof-real-'));
  const loadBefore = loadavg()[0];
  const runs = Object.fromEntries(opts.modes.map((m) => [m, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const mode of opts.modes) {
      console.error(`real-projects: ${project.name} ${mode}${opts.rounds > 1 ? ` round ${round + 1}` : ''} …`);
      const r = await runMode(project, mode, opts, scratch, round);
      runs[mode].push(r);
      if (opts.logs) {
        mkdirSync(opts.logs, { recursive: true });
        writeFileSync(join(opts.logs, `${project.name}.${mode}.${round}.log`), r.output);
        if (r.report) writeFileSync(join(opts.logs, `${project.name}.${mode}.${round}.json`), JSON.stringify(r.report));
      }
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  // The 1-minute load average before and after: on a shared machine, other jobs only ever add time.
  const load = [loadBefore, loadavg()[0]].map((l) => Math.round(l * 10) / 10);
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: project.dir, encoding: 'utf8' }).stdout?.trim() || undefined;
  const result = { project: project.name, leakprof: opts.bin, repo: project.repo, commit, runner: project.runner, command: project.command.join(' '), dir: project.dir, note: project.note, node: process.version, date: new Date().toISOString(), rounds: opts.rounds, load };
  const bareMs = runs.bare ? median(runs.bare.map((r) => r.ms)) : undefined;
  for (const mode of opts.modes) {
    const last = runs[mode].at(-1);
    const entry = {
      exitCode: last.code,
      ...(last.error ? { error: last.error } : {}),
      timedOut: last.timedOut,
      wallMs: median(runs[mode].map((r) => r.ms)),
      tests: parseTests(project.runner, last.output),
    };
    if (mode !== 'bare') {
      if (bareMs) entry.ratioToBare = Math.round((entry.wallMs / bareMs) * 100) / 100;
      entry.verdict = last.report?.verdict?.status ?? 'no report';
      entry.processes = last.report?.processes?.length;
      entry.flagged = flaggedFrom(last.report);
      entry.excluded = excludedFrom(last.report);
      // Did leakprof change the suite's own result?
      if (runs.bare) entry.sameTestsAsBare = JSON.stringify(entry.tests) === JSON.stringify(result.bare?.tests);
    }
    result[mode] = entry;
  }
  return result;
}

function save(file, results) {
  let all = [];
  if (existsSync(file)) {
    try {
      all = JSON.parse(readFileSync(file, 'utf8'));
    } catch {}
  }
  for (const r of results) all = [...all.filter((x) => x.project !== r.project), r];
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);
const tests = (t) => (t ? `${t.passed}/${t.failed}${t.skipped ? `/${t.skipped}` : ''}` : '-');

function table(results) {
  const rows = [['project', 'runner', 'tests p/f/s', 'bare', 'check', 'x', '--promises', 'x', 'verdict (check, --promises)', 'flagged (check)']];
  for (const r of results) {
    const flagged = (r.check?.flagged ?? []).map((f) => `${f.count}×${f.type}@${f.location ?? '?'}${f.test ? ` "${f.test}"` : ''}`);
    rows.push([
      r.project,
      r.runner,
      tests(r.bare?.tests ?? r.check?.tests),
      r.bare ? `${s(r.bare.wallMs)} (${r.bare.exitCode})` : '-',
      r.check ? `${s(r.check.wallMs)} (${r.check.exitCode})` : '-',
      r.check?.ratioToBare ?? '-',
      r.promises ? `${s(r.promises.wallMs)} (${r.promises.exitCode})` : '-',
      r.promises?.ratioToBare ?? '-',
      [r.check?.verdict, r.promises?.verdict].filter(Boolean).join(', '),
      flagged.length ? `${flagged.slice(0, 3).join('; ')}${flagged.length > 3 ? ` (+${flagged.length - 3})` : ''}` : '-',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const results = [];
  for (const project of projectsFrom(opts)) {
    try {
      results.push(await runProject(project, opts));
    } catch (err) {
      console.error(`real-projects: ${project.name}: ${err.message}`);
      process.exitCode = 1;
    }
  }
  save(opts.out, results);
  table(results);
  console.error(`real-projects: wrote ${opts.out}`);
}
