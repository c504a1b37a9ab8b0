// Side by side on the same leaky test suites (fixtures/suites/: a server listened in test
// "reconnects" and never closed, beside a clean test), in two cases: the server made in the
// test body before any await ("sync"), and after an await ("after await"). Each tool runs the
// way a CI job would use it:
//   jest --detectOpenHandles --forceExit    (without --forceExit it prints, then hangs)
//   vitest run --detectAsyncLeaks           (vitest >= 4)
//   why-is-node-running                     (--import its include, SIGUSR1 once the runner printed its summary)
//   leakprof check -- <runner>              (node:test, mocha, jest, vitest)
//   the bare runner                         (for the wall time without any leak tool)
// and records: detected (the report names the TCPSERVERWRAP), location (the report gives the
// leak's file:line), test named (the leak's own report line names the test; a code frame that
// happens to show the `it(…)` line does not count), the exit code (does it fail a CI job?) and the
// wall time to the answer. Writes bench/results/side-by-side.json and prints a markdown table.
//   node bench/side-by-side.js [--rounds 3]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Math.max(1, Number(values.rounds));
const S = 'fixtures/suites';
const BIN = 'node_modules/.bin';
const node = process.execPath;
const leakprof = join(root, 'bin/leakprof.js');
const why = pathToFileURL(join(root, 'node_modules/why-is-node-running/include.js')).href;
const HARD_LIMIT_MS = 30_000;

const CASES = { sync: 'leaky-sync', 'after await': 'leaky' };

/** The leaky file of a runner's suite for a case, and the runner's own command (with its force-exit CI flag). */
const RUNNERS = {
  'node:test': (name) => ({ file: `${S}/node-test/${name}.test.mjs`, cmd: [node, '--test', '--test-force-exit', `${S}/node-test/${name}.test.mjs`] }),
  mocha: (name) => ({ file: `${S}/mocha/${name}.spec.cjs`, cmd: [node, `${BIN}/mocha`, '--exit', `${S}/mocha/${name}.spec.cjs`] }),
  jest: (name) => ({ file: `${S}/jest/${name}.test.cjs`, cmd: [node, `${BIN}/jest`, '--forceExit', '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/${name}.test.cjs`] }),
  vitest: (name) => ({ file: `${S}/vitest/${name}.test.mjs`, cmd: [node, `${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/${name}.test.mjs`] }),
};

/** [tool, runner, how to run it on a case] */
const TOOLS = [
  ...Object.keys(RUNNERS).map((runner) => ['bare runner', runner, (name) => RUNNERS[runner](name)]),
  [
    'jest --detectOpenHandles',
    'jest',
    (name) => {
      const r = RUNNERS.jest(name);
      return { ...r, cmd: [node, `${BIN}/jest`, '--detectOpenHandles', '--forceExit', '-c', `${S}/jest/jest.config.cjs`, r.file] };
    },
  ],
  [
    'vitest --detectAsyncLeaks',
    'vitest',
    (name) => {
      const r = RUNNERS.vitest(name);
      return { ...r, cmd: [node, `${BIN}/vitest`, 'run', '--detectAsyncLeaks', '-c', `${S}/vitest/vitest.config.mjs`, r.file] };
    },
  ],
  [
    'why-is-node-running',
    'mocha',
    (name) => {
      const r = RUNNERS.mocha(name);
      // No --exit: why-is-node-running reports on a process that is still running.
      return { ...r, cmd: [node, '--import', why, `${BIN}/mocha`, r.file], signalWhen: /passing/, doneWhen: /handle\(s\) keeping the process running[\s\S]*\n\n/ };
    },
  ],
  ...Object.keys(RUNNERS).map((runner) => [
    'leakprof check',
    runner,
    (name) => {
      const r = RUNNERS[runner](name);
      return { ...r, cmd: [node, leakprof, 'check', '--no-summary', '--', ...r.cmd] };
    },
  ]),
];

function markerLine(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  return lines.findIndex((l) => l.includes('// LEAK')) + 1;
}

/** Runs one command; resolves with its output, exit code and the wall time to the answer. */
function once({ cmd, signalWhen, doneWhen }) {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    const started = performance.now();
    const child = spawn(cmd[0], cmd.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let signalled = false;
    let answeredMs;
    const killAll = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const hard = setTimeout(killAll, HARD_LIMIT_MS);
    const onData = (chunk) => {
      output += chunk;
      if (signalWhen && !signalled && signalWhen.test(output)) {
        signalled = true;
        process.kill(child.pid, 'SIGUSR1');
      }
      if (doneWhen && answeredMs === undefined && doneWhen.test(output)) {
        answeredMs = performance.now() - started;
        setTimeout(killAll, 200);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      const wallMs = answeredMs ?? performance.now() - started;
      resolve({ output, code: doneWhen ? null : code, signal: doneWhen ? null : signal, wallMs });
    });
  });
}

function judgeOutput(output, file) {
  const location = `${basename(file)}:${markerLine(file)}`;
  const lines = output.split('\n');
  const leakLines = lines.filter((l) => l.includes('TCPSERVERWRAP') || l.includes(location));
  return {
    detected: output.includes('TCPSERVERWRAP'),
    location: output.includes(location),
    testNamed: leakLines.some((l) => l.includes('reconnects')),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
for (const [caseName, fixture] of Object.entries(CASES)) {
  for (const [tool, runner, how] of TOOLS) {
    const run = how(fixture);
    const walls = [];
    let last;
    // Alternating is not needed here (each row is one tool); rounds take the median wall time.
    for (let i = 0; i < rounds; i++) {
      last = await once(run);
      walls.push(last.wallMs);
    }
    const verdict = judgeOutput(last.output, run.file);
    const row = {
      tool,
      runner,
      case: caseName,
      file: `${run.file}:${markerLine(run.file)}`,
      detected: tool === 'bare runner' ? false : verdict.detected,
      location: tool === 'bare runner' ? false : verdict.location,
      testNamed: tool === 'bare runner' ? false : verdict.testNamed,
      exitCode: last.code,
      failsCi: last.code !== null && last.code !== 0,
      wallMs: Math.round(median(walls)),
      command: run.cmd.map((a) => a.replace(root, '').replace(node, 'node')).join(' '),
    };
    if (run.signalWhen) row.note = 'SIGUSR1 sent once the runner printed its summary; wall time to the printed report; the process is then killed';
    results.push(row);
    process.stderr.write(`${caseName.padEnd(12)} ${tool.padEnd(26)} ${runner.padEnd(10)} ${JSON.stringify({ detected: row.detected, location: row.location, testNamed: row.testNamed, exit: row.exitCode, ms: row.wallMs })}\n`);
  }
}

const out = {
  bench: 'side-by-side',
  date: new Date().toISOString(),
  node: process.version,
  rounds,
  versions: Object.fromEntries(['jest', 'vitest', 'mocha', 'why-is-node-running'].map((p) => [p, JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version])),
  results,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/side-by-side.json'), JSON.stringify(out, null, 2) + '\n');

const yes = (b) => (b ? 'yes' : 'no');
const table = [
  '| case | tool | runner | detected | location | names the test | exit code (fails CI) | wall time |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.tool} | ${r.runner} | ${r.tool === 'bare runner' ? '–' : yes(r.detected)} | ${r.tool === 'bare runner' ? '–' : yes(r.location)} | ${r.tool === 'bare runner' ? '–' : yes(r.testNamed)} | ${r.exitCode ?? 'killed'}${r.failsCi ? ' (yes)' : ''} | ${(r.wallMs / 1000).toFixed(2)} s |`,
  ),
];
console.log(table.join('\n'));
console.log(`\nNode ${process.version}; ${Object.entries(out.versions).map(([p, v]) => `${p} ${v}`).join(', ')}; median of ${rounds} run(s). Written to bench/results/side-by-side.json.`);
