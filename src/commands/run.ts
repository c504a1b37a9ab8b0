/** `leakprof run`: run a command under instrumentation and report what is still alive, grouped by creation stack. */
import { Command } from 'commander';
import { runWorkload, type RunResult } from '../run/run-workload.js';
import { colorsFor } from '../report/colors.js';
import { type RunFlags, addCollectorOptions, collectorOptions, resolveCommand, addReportOptions, addHeapOptions, heapOptions, durationFlag } from './options.js';
import { renderText, checkReportOutputs, emitReport, onOwnLine } from './output.js';

export function runCommand(): Command {
  const cmd = new Command('run')
    .summary('run a command under leakprof and report what it left alive')
    .description(
      'Runs a Node command (a script, `npm test`, anything that starts Node) with every Node process instrumented,\n' +
        'and when it ends prints what is still alive — timers, sockets, servers, watchers, child processes —\n' +
        'grouped by the stack that created it, largest group first. The workload\'s stdout, stderr and exit code\n' +
        'are its own; the report goes to stderr (or --json / -o).',
    )
    .argument('<command...>', 'a script (app.mjs) or a command after -- (-- npm test)')
    .option('--timeout <duration>', 'end the workload after this long (e.g. 30s): dump what keeps it alive, SIGTERM it, exit 124')
    .option('--grace <duration>', 'after --timeout, wait this long between SIGTERM and SIGKILL', '2s')
    .option('--idle <duration>', 'end the workload like --timeout as soon as it has been idle this long (every Node process asleep, using no CPU; Linux): for a program that is done but will not exit')
    .option('--every <duration>', 'also print a report this often while the workload runs; groups that keep growing between reports are flagged')
    .option('--promises', 'also track promises: the async profile of pending promises and async functions parked at an await')
    .option('--listeners', 'also track event listeners: the listeners profile of EventEmitter/EventTarget events holding more than 10')
    ;
  addHeapOptions(cmd, 'default 1s,2s, or a third and two thirds of --timeout');
  addCollectorOptions(cmd);
  addReportOptions(cmd);
  cmd.passThroughOptions();
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ leakprof run fixtures/client-per-request/leaky.mjs\n' +
      '  $ leakprof run -- node server.js --port 0\n' +
      '  $ leakprof run --timeout 30s -- npm test\n' +
      '  $ leakprof run --idle 1s --timeout 60s -- node script.mjs   # report as soon as it is done but will not exit\n' +
      '  $ leakprof run --json -- node app.mjs > report.json\n' +
      '  $ leakprof run --heap --timeout 30s -- node server.js     # what the heap keeps, and who holds it\n' +
      '\nWhile it runs: `kill -USR2 <leakprof pid>` prints a report on demand; Ctrl-C prints one and stops.\n' +
      'Exit code: the workload\'s own; 124 after --timeout or --idle; 2 for leakprof\'s own errors.',
  );
  cmd.action(async (words: string[], flags: RunFlags) => {
    const command = resolveCommand(words);
    checkReportOutputs(flags);
    const result = await runWorkload({
      command,
      timeoutMs: flags.timeout !== undefined ? durationFlag(flags.timeout, '--timeout', true) : undefined,
      idleMs: flags.idle !== undefined ? durationFlag(flags.idle, '--idle', true) : undefined,
      graceMs: durationFlag(flags.grace, '--grace', false),
      everyMs: flags.every !== undefined ? durationFlag(flags.every, '--every', true) : undefined,
      ...collectorOptions(flags),
      promises: Boolean(flags.promises),
      listeners: Boolean(flags.listeners),
      ...heapOptions(flags),
      onProgress: (line) => process.stderr.write(colorsFor(process.stderr).dim(`leakprof: ${line}\n`)),
      onPeriodic: (report) => process.stderr.write(onOwnLine() + renderText(report, flags)),
    });
    emitReport(result.report, flags);
    finish(result, command);
  });
  return cmd;
}

/** Leaves leakprof the way the workload left: same exit code, same signal. */
function finish(result: RunResult, command: string[]): void {
  if (result.report.processes.length === 0 && result.exitCode === 0) {
    process.stderr.write(`leakprof: no Node.js process ran under leakprof: \`${command[0]}\` is not Node, or it cleared NODE_OPTIONS\n`);
    process.exitCode = 2;
    return;
  }
  if (result.signal) {
    process.removeAllListeners(result.signal);
    process.kill(process.pid, result.signal);
  }
  process.exitCode = result.exitCode;
}
