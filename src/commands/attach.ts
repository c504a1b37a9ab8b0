/**
 * `leakprof attach <url|pid>`: the report of a process that keeps running, from its live
 * endpoint (LEAKPROF_HTTP / serve()) or, for a process under `leakprof run`, through the spool.
 * The same report as `run`; `-o x.pb.gz` saves one profile as the endpoint serves it.
 */
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { reportToPprof, writePprofFiles } from '../report/pprof.js';
import { colorsFor, plain } from '../report/colors.js';
import { renderReport } from '../report/text-report.js';
import type { Report } from '../report/schema.js';
import { WorkloadError } from '../util/errors.js';
import { parseDurationOption, DurationError } from '../util/duration.js';
import { ENV_TOKEN } from '../live/live-config.js';
import { endpointOrigin, fetchEndpoint, fetchReport, LiveClientError, reportFromSpool, targetOfPid } from '../live/live-client.js';
import { checkReportOutputs } from './output.js';

interface Flags {
  output?: string;
  json?: boolean;
  profile: string;
  token?: string;
  timeout: string;
  gc?: boolean;
  debug: string;
  internals?: boolean;
  summary: boolean;
}

export function attachCommand(): Command {
  const cmd = new Command('attach')
    .summary("report on a running process: its live endpoint's URL, or the pid of a process under leakprof")
    .description(
      'Asks a running process for what is alive in it now and prints the same report as `run`. The target is the\n' +
        'URL of its endpoint (LEAKPROF_HTTP=127.0.0.1:6060 with --import leakprof/register, or serve() in the program),\n' +
        'or a pid: of such a process, or of one started by `leakprof run` (asked through leakprof\'s spool, no endpoint).',
    )
    .argument('<target>', 'http://host:port of the endpoint (or host:port, or :port), or a process id')
    .option('-o, --output <file>', 'save instead of printing: .json the report, .pb.gz/.pb one profile (--profile) for go tool pprof and report --base, else text')
    .option('--json', 'write the report as JSON to stdout')
    .option('--profile <name>', 'the profile -o x.pb.gz saves: handles, async, listeners, heap', 'handles')
    .option('--token <token>', `the endpoint's bearer token (default: $${ENV_TOKEN})`)
    .option('--timeout <duration>', 'give up on an answer after this long', '10s')
    .option('--gc', 'a full GC in the process first (only what is still reachable)')
    .addOption(new Option('--debug <level>', 'report text detail: 1 groups, 2 every resource').choices(['1', '2']).default('1'))
    .option('--internals', "show Node's internal frames and resources")
    .option('--no-summary', 'leave out the per-type summary table');
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ LEAKPROF_HTTP=127.0.0.1:6060 node --import leakprof/register server.js &\n' +
      '  $ leakprof attach http://127.0.0.1:6060\n' +
      '  $ leakprof attach :6060 -o before.pb.gz     # later: -o after.pb.gz\n' +
      '  $ leakprof report --base before.pb.gz after.pb.gz\n' +
      '  $ leakprof attach 12345                     # a process under leakprof run, or with LEAKPROF_HTTP\n' +
      '\nExit code: 0 when a report was printed or saved; 2 when the process could not be asked (one line says why).',
  );
  cmd.action(async (target: string, flags: Flags) => {
    let timeoutMs: number;
    try {
      timeoutMs = parseDurationOption(flags.timeout, '--timeout', { positive: true });
    } catch (error) {
      throw new WorkloadError((error as DurationError).message, 2);
    }
    checkReportOutputs({ output: flags.output });
    const client = { token: flags.token ?? process.env[ENV_TOKEN], timeoutMs };
    try {
      const where = /^\d+$/.test(target.trim()) ? targetOfPid(Number(target)) : { origin: endpointOrigin(target) };
      const pprofOut = flags.output !== undefined && /\.pb(\.gz)?$/.test(flags.output);
      if (pprofOut && 'origin' in where) {
        // The endpoint's own bytes: exactly what go tool pprof would fetch.
        const body = await fetchEndpoint(where.origin, `/debug/pprof/${encodeURIComponent(flags.profile)}${flags.gc ? '?gc=1' : ''}`, client);
        writeFileSync(flags.output!, body);
        process.stderr.write(`leakprof: ${flags.profile} profile written to ${flags.output}\n`);
        return;
      }
      const report = 'origin' in where ? await fetchReport(where.origin, { ...client, gc: flags.gc }) : await reportFromSpool(Number(target), where.spool, timeoutMs);
      if (pprofOut) return savePprof(report, flags.profile, flags.output!);
      emit(report, flags);
    } catch (error) {
      if (error instanceof LiveClientError) throw new WorkloadError(error.message, 2);
      throw error;
    }
  });
  return cmd;
}

function savePprof(report: Report, profile: string, file: string): void {
  const one = reportToPprof(report).filter((p) => p.profile === profile);
  if (one.length === 0) throw new WorkloadError(`the process has no ${profile} profile (it has: ${report.processes[0]?.profiles.map((p) => p.name).join(', ')})`, 2);
  writePprofFiles(one, file);
  process.stderr.write(`leakprof: ${profile} profile written to ${file}\n`);
}

function emit(report: Report, flags: Flags): void {
  const text = (colored: boolean) =>
    renderReport(report, { debug: flags.debug === '2' ? 2 : 1, internals: Boolean(flags.internals), summary: flags.summary, colors: colored ? colorsFor(process.stdout) : plain });
  if (flags.output) {
    writeFileSync(flags.output, flags.output.endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : text(false));
    process.stderr.write(`leakprof: report written to ${flags.output}\n`);
    return;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : text(true));
}
