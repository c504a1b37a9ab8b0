/** `leakprof check`: run a command like `run`, then fail (exit code) when it left something alive. */
import { Command } from 'commander';
import { loadCheckConfig, type CheckSettings } from '../check/config-file.js';
import { runCheck } from '../check/run-check.js';
import { colorsFor, plain } from '../report/colors.js';
import { inGithubActions, renderAnnotations } from '../report/github-annotations.js';
import { renderJunit } from '../report/junit.js';
import type { ProcessReport } from '../report/schema.js';
import { renderProcess } from '../report/text-report.js';
import { renderVerdict } from '../report/verdict-text.js';
import { WorkloadError } from '../supervise/run-workload.js';
import { addCollectorOptions, addReportOptions, checkReportOutputs, collectorOptions, durationFlag, emitPprof, emitReport, onOwnLine, positiveInt, writeOutput, resolveCommand, type CollectorFlags, type ReportFlags } from './run.js';

interface CheckFlags extends ReportFlags, CollectorFlags {
  timeout?: string;
  idle?: string;
  every?: string;
  grace: string;
  maxHandles?: string;
  maxPromises?: string;
  maxListeners?: string;
  maxHeapGrowth?: string;
  strict?: boolean;
  failOn?: string;
  ignore?: string[];
  settle?: string;
  baseline?: string;
  updateBaseline?: boolean;
  promises?: boolean;
  listeners?: boolean;
  junit?: string;
  verbose?: boolean;
  config: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function checkCommand(): Command {
  const cmd = new Command('check')
    .summary('run a command (a test suite) and fail when it leaves handles, promises or heap behind')
    .description(
      'Runs a command like `leakprof run` (every Node process instrumented), then judges what each process ' +
        'left alive when it ended: one line per leak naming the type, the line that created it (and the test, ' +
        "when the runner's tests are attributed) and what to do, then the grouped creation stacks. " +
        'Only resources that keep the process alive count, unless --strict. Options may also come from ' +
        'leakprof.config.json or a "leakprof" key in package.json (same names, camelCase); flags win.',
    )
    .argument('<command...>', 'a script (test.mjs) or a command after -- (-- npm test)')
    .option('--max-handles <n>', 'live handles allowed (default 0)')
    .option('--max-promises <n>', 'pending promises allowed, with --promises (default 0)')
    .option('--max-listeners <n>', 'listeners allowed, with --listeners (default 0)')
    .option('--max-heap-growth <size>', 'heap growth allowed from start to exit, measured after GC (e.g. 20MB); off by default')
    .option('--strict', "count unref'd resources too (an unref'd socket still holds a file descriptor)")
    .option('--fail-on <kinds>', 'kinds that fail the check: handles,async,listeners,heap (default all)')
    .option('--ignore <rule>', 'ignore a type (TTYWRAP), a type by stack file (Timeout@node_modules/pino/**), a top function (fn:name) or any function (anyfn:name); repeatable', collect)
    .option('--settle <duration>', 'how long in-flight work may take to end before it is a leak (default 300ms)')
    .option('--baseline <file>', 'compare with a baseline: written from this run when missing, else only what is new counts')
    .option('--update-baseline', 'rewrite the --baseline file from this run')
    .option('--promises', "track pending promises and parked awaits (profile 'async')")
    .option('--listeners', "track event listeners (profile 'listeners')")
    .option('--junit <file>', 'also write the verdict as JUnit XML (one testcase per leak)')
    .option('--verbose', 'also say what did not count and why (benign kinds, unref\'d, ignored, baseline, settled)')
    .option('--no-config', 'ignore leakprof.config.json and package.json "leakprof"')
    .option('--timeout <duration>', 'end a hanging workload after this long: dump what keeps it alive, end it, exit 124')
    .option('--grace <duration>', 'after --timeout, wait this long between SIGTERM and SIGKILL', '2s')
    .option('--idle <duration>', 'end the workload like --timeout as soon as it has been idle this long (every Node process asleep, using no CPU; Linux)')
    .option('--every <duration>', 'also snapshot every process this often while it runs: a group that keeps growing is a leak even if it is released by the end (a timer per request)')
;
  addCollectorOptions(cmd);
  addReportOptions(cmd);
  cmd.passThroughOptions();
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ leakprof check -- npm test\n' +
      '  $ leakprof check --timeout 60s -- node --test\n' +
      "  $ leakprof check --max-heap-growth 20MB --ignore 'Timeout@node_modules/pino/**' -- node --test\n" +
      '  $ leakprof check --baseline .leakprof-baseline.json -- npx mocha --exit\n' +
      '\nExit code: 0 clean; 1 leak; 124 the workload hung (--timeout); the workload\'s own code when it failed\n' +
      '(its leaks are still listed); 2 for a usage error. Text goes to stderr; --json puts the report and its\n' +
      '"verdict" on stdout. Under GitHub Actions (GITHUB_ACTIONS=true) each leak is also an ::error annotation (on stderr).',
  );
  cmd.action(async (words: string[], flags: CheckFlags) => {
    const command = resolveCommand(words);
    const settings = mergeSettings(flags.config ? loadCheckConfig(process.cwd()).settings : {}, flags);
    if (flags.updateBaseline && !settings.baseline) throw new WorkloadError('--update-baseline needs a file: add --baseline <file> (or "baseline" in the config)', 2);
    checkReportOutputs(flags, [[settings.junit, flags.junit !== undefined ? '--junit' : '"junit" from the config,']]);
    const timeout = settings.timeout;
    const result = await runCheck({
      command,
      timeoutMs: timeout !== undefined ? durationFlag(timeout, '--timeout', true) : undefined,
      graceMs: durationFlag(flags.grace, '--grace', false),
      idleMs: flags.idle !== undefined ? durationFlag(flags.idle, '--idle', true) : undefined,
      everyMs: flags.every !== undefined ? durationFlag(flags.every, '--every', true) : undefined,
      ...collectorOptions(flags),
      policy: settings,
      baselineFile: settings.baseline,
      updateBaseline: flags.updateBaseline,
      promises: settings.promises,
      listeners: settings.listeners,
    });
    const { report, verdict } = result;
    if (report.processes.length === 0 && report.outcome.exitCode === 0) {
      process.stderr.write(`leakprof: no Node.js process ran under leakprof: \`${command[0]}\` is not Node, or it cleared NODE_OPTIONS\n`);
      process.exitCode = 2;
      return;
    }
    if (flags.output || flags.json) emitReport(report, flags);
    else if (flags.pprof) emitPprof(report, flags.pprof);
    const colors = colorsFor(process.stderr);
    const violating = new Set(result.shown.map((c) => c.group));
    process.stderr.write(
      onOwnLine() +
      renderVerdict(report, verdict, {
        colors,
        verbose: flags.verbose,
        // With --json the stacks are in the JSON; stderr keeps the one-line verdicts.
        violating: flags.json ? new Set() : violating,
        debug: flags.debug === '2' ? 2 : 1,
        internals: Boolean(flags.internals),
      }),
    );
    if (settings.junit) {
      const stacks = new Map(result.shown.map((c, i) => [verdict.violations[i], stackText(report.processes, c.pid, c.group)]));
      // The verdict is already on stderr: a JUnit file that cannot be written costs only itself.
      writeOutput(settings.junit, renderJunit(verdict, (v) => `${v.message}\n\n${stacks.get(v) ?? ''}`, report.durationMs), '--junit', `the verdict above stands (exit ${verdict.exitCode})`);
    }
    if (inGithubActions()) process.stderr.write(renderAnnotations(verdict));
    process.exitCode = verdict.exitCode;
  });
  return cmd;
}

/** Config file first, then every flag the user gave (flags win). */
function mergeSettings(config: CheckSettings, flags: CheckFlags): CheckSettings {
  const out: CheckSettings = { ...config };
  const num = (text: string, flag: string): number => positiveInt(text, flag);
  if (flags.maxHandles !== undefined) out.maxHandles = num(flags.maxHandles, '--max-handles');
  if (flags.maxPromises !== undefined) out.maxPromises = num(flags.maxPromises, '--max-promises');
  if (flags.maxListeners !== undefined) out.maxListeners = num(flags.maxListeners, '--max-listeners');
  if (flags.maxHeapGrowth !== undefined) out.maxHeapGrowth = flags.maxHeapGrowth;
  if (flags.strict !== undefined) out.strict = flags.strict;
  if (flags.failOn !== undefined) out.failOn = flags.failOn;
  if (flags.ignore !== undefined) out.ignore = flags.ignore;
  if (flags.settle !== undefined) out.settle = flags.settle;
  if (flags.baseline !== undefined) out.baseline = flags.baseline;
  if (flags.promises !== undefined) out.promises = flags.promises;
  if (flags.listeners !== undefined) out.listeners = flags.listeners;
  if (flags.timeout !== undefined) out.timeout = flags.timeout;
  if (flags.junit !== undefined) out.junit = flags.junit;
  return out;
}

function stackText(processes: ProcessReport[], pid: number, group: ProcessReport['profiles'][number]['groups'][number]): string {
  const proc = processes.find((p) => p.pid === pid);
  if (!proc) return '';
  const profiles = proc.profiles.map((p) => ({ ...p, groups: p.groups.filter((g) => g === group) })).filter((p) => p.groups.length > 0);
  return renderProcess({ ...proc, notes: [], crossCheck: [], profiles }, { debug: 1, internals: false, summary: false, colors: plain });
}
