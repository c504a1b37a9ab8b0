/** `leakprof check`: run a command like `run`, then fail (exit code) when it left something alive. */
import { Command } from 'commander';
import { loadCheckConfig, type CheckSettings } from '../check/config-file.js';
import { runCheck } from '../check/run-check.js';
import { colorsFor, plain } from '../report/colors.js';
import { inGithubActions, renderAnnotations } from '../report/github-annotations.js';
import { renderJunit } from '../report/junit.js';
import { HEAP_GROWTH, type ProcessReport, type ProfileDescriptor } from '../report/schema.js';
import { resolvePolicy } from '../check/policy.js';
import { renderProcess } from '../report/text-report.js';
import { renderVerdict } from '../report/verdict-text.js';
import { WorkloadError } from '../util/errors.js';
import { HEAP_NOISE_FLOOR } from '../analyse/growth.js';
import { parseBytes } from '../util/bytes.js';
import { addCollectorOptions, addHeapOptions, heapOptions, addReportOptions, collectorOptions, durationFlag, positiveInt, resolveCommand, type CollectorFlags, type ReportFlags } from './options.js';
import { checkReportOutputs, emitPprof, emitReport, onOwnLine, writeOutput } from './output.js';

interface CheckFlags extends ReportFlags, CollectorFlags {
  heap?: boolean;
  heapSnapshots?: string;
  heapDir?: string;
  heapInterval: string;
  timeout?: string;
  idle?: string;
  every?: string;
  grace: string;
  maxHandles?: string;
  maxPromises?: string;
  maxListeners?: string;
  max?: string[];
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
    .summary('run a command (a test suite) and fail when it leaves handles, files, promises or heap behind')
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
    .option('--max <profile=n>', "items allowed in any profile by name (fds, or your own): --max fds=2, --max db-connections=5 (or --max-fds 2, --max-db-connections 5); repeatable (default: what the profile declares, 0)", collect)
    .option('--max-heap-growth <size>', 'heap growth allowed after start-up while the heap keeps growing, judged on the samples after GC (e.g. 20MB); off by default, 4MB with --heap')
    .option('--strict', "count unref'd resources too (an unref'd socket still holds a file descriptor)")
    .option('--fail-on <kinds>', "kinds that fail the check: handles, async, listeners, fds, heap-growth or a profile's name, comma-separated (default all)")
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
  addHeapOptions(cmd, 'default: on growth, each time the heap after GC grew by --max-heap-growth');
  cmd.option('--no-heap', 'with --max-heap-growth: judge the growth only, without heap snapshots (no holder, no allocating line)');
  addCollectorOptions(cmd);
  addReportOptions(cmd);
  cmd.passThroughOptions();
  // `--max-<profile> <n>` for a profile check has no flag of its own (a user's): read as `--max <profile>=<n>`.
  const parseOptions = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (args: string[]) => parseOptions(maxFlags(cmd, args));
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
      // A heap that is judged is also looked at: on growth, snapshots name what holds it and the line that made it (--no-heap: not).
      ...heapOptions({ ...flags, heap: flags.heap ?? settings.maxHeapGrowth !== undefined }, settings.maxHeapGrowth !== undefined ? bytesFlag(String(settings.maxHeapGrowth), '--max-heap-growth') : undefined),
      // Reading heap snapshots takes a while: said at a terminal, quiet in a log.
      ...(process.stderr.isTTY ? { onProgress: (line: string) => process.stderr.write(colorsFor(process.stderr).dim(`leakprof: ${line}\n`)) } : {}),
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
    for (const warning of unknownKinds(report.processes, settings)) process.stderr.write(colors.yellow(`leakprof: warning: ${warning}\n`));
    if (inGithubActions()) process.stderr.write(renderAnnotations(verdict));
    process.exitCode = verdict.exitCode;
  });
  return cmd;
}

function bytesFlag(text: string, flag: string): number {
  try {
    return parseBytes(text);
  } catch (error) {
    throw new WorkloadError(`${flag}: ${(error as Error).message}`, 2);
  }
}

/** Config file first, then every flag the user gave (flags win). */
function mergeSettings(config: CheckSettings, flags: CheckFlags): CheckSettings {
  const out: CheckSettings = { ...config };
  const num = (text: string, flag: string): number => positiveInt(text, flag);
  if (flags.maxHandles !== undefined) out.maxHandles = num(flags.maxHandles, '--max-handles');
  if (flags.maxPromises !== undefined) out.maxPromises = num(flags.maxPromises, '--max-promises');
  if (flags.maxListeners !== undefined) out.maxListeners = num(flags.maxListeners, '--max-listeners');
  // Flags win, profile by profile: the config's other limits stay.
  if (flags.max !== undefined) out.max = { ...maxObject(config.max), ...maxObject(flags.max) };
  if (flags.maxHeapGrowth !== undefined) out.maxHeapGrowth = flags.maxHeapGrowth;
  // --heap is asked to name what grows: the heap is judged, at the noise floor unless a limit was given.
  if (flags.heap && out.maxHeapGrowth === undefined) out.maxHeapGrowth = HEAP_NOISE_FLOOR;
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

/**
 * Names in --fail-on and --max that no process declared a profile for: a typo, or a profile
 * not turned on (--promises) or never made in this run. Said, not failed: a user's profile may
 * be made only on some paths.
 */
function unknownKinds(processes: readonly ProcessReport[], settings: CheckSettings): string[] {
  const declared = new Map<string, ProfileDescriptor>();
  for (const proc of processes) for (const p of proc.profiles) declared.set(p.name, p.descriptor);
  if (declared.size === 0) return [];
  const known = [...declared.keys()].join(', ');
  const out: string[] = [];
  const failOn = resolvePolicy({ failOn: settings.failOn }).failOn;
  for (const kind of failOn ?? []) {
    if (kind !== HEAP_GROWTH && !declared.has(kind)) out.push(`--fail-on names "${kind}", which no process had a profile of (profiles: ${known})`);
  }
  for (const name of Object.keys(maxObject(settings.max))) {
    const bare = name.replace(/^max-/, '');
    if (![...declared.values()].some((d) => d.name === bare || d.check?.flag === `max-${bare}`)) out.push(`--max names "${bare}", which no process had a profile of (profiles: ${known})`);
  }
  return out;
}

/** `--max` values as an object (the config file's form); bad ones are left for the policy to refuse. */
function maxObject(value: CheckSettings['max']): Record<string, number | string> {
  if (value === undefined) return {};
  if (!Array.isArray(value) && typeof value === 'object') return value;
  const out: Record<string, string> = {};
  for (const pair of (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','))) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WorkloadError(`--max takes <profile>=<n> (--max db-connections=5), got "${pair}"`, 2);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * check's own options up to the command, with `--max-<name> <n>` (or `=<n>`) for a name check
 * has no option for turned into `--max <name>=<n>`. What follows the command is the workload's.
 */
function maxFlags(cmd: Command, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || !arg.startsWith('-')) return [...out, ...args.slice(i)];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const option = cmd.options.find((o) => o.long === flag || o.short === flag);
    const max = /^--max-([a-z][a-z0-9-]*)$/.exec(flag);
    if (option === undefined && max && (inline !== undefined || i + 1 < args.length)) {
      out.push('--max', `${max[1]}=${inline ?? args[++i]}`);
      continue;
    }
    out.push(arg);
    if (option !== undefined && (option.required || option.optional) && inline === undefined && i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}

function stackText(processes: ProcessReport[], pid: number, group: ProcessReport['profiles'][number]['groups'][number]): string {
  const proc = processes.find((p) => p.pid === pid);
  if (!proc) return '';
  const profiles = proc.profiles.map((p) => ({ ...p, groups: p.groups.filter((g) => g === group) })).filter((p) => p.groups.length > 0);
  return renderProcess({ ...proc, notes: [], crossCheck: [], profiles }, { debug: 1, internals: false, summary: false, colors: plain });
}
