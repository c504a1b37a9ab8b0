/**
 * `leakprof report <file>`: reads a leakprof JSON report or a pprof profile (any producer, .pb
 * or .pb.gz, profile.proto or the legacy CPU format) and prints it: the text report, or
 * `go tool pprof`'s -top / -traces; with --base, what changed since another run.
 */
import { Command, Option } from 'commander';
import { colorsFor } from '../report/colors.js';
import { reportToPprof, writePprofFiles, type ReportProfile } from '../report/pprof.js';
import { subtractBase } from '../report/pprof-diff.js';
import { ProfileFormatError } from '../report/pprof-model.js';
import { InputFileError, readReportOrProfile, type ReportInput } from '../report/read-input.js';
import { parseBytes } from '../util/bytes.js';
import { renderTop, renderTraces, topTable } from '../report/pprof-text.js';
import { diffReports, renderReportDiff } from '../report/report-diff.js';
import { WorkloadError } from '../util/errors.js';
import { renderText } from './output.js';

interface Flags {
  top?: boolean;
  traces?: boolean;
  sampleIndex?: string;
  nodecount?: string;
  base?: string;
  pprof?: string;
  json?: boolean;
  debug: string;
  internals?: boolean;
  summary: boolean;
  maxInflated?: string;
}

/** Reads either kind of input; anything else is one clear error (exit 2). */
export function readInput(file: string, maxInflated?: string): ReportInput {
  let limit: number | undefined;
  if (maxInflated !== undefined) {
    try {
      limit = parseBytes(maxInflated);
    } catch (error) {
      throw new WorkloadError(`--max-inflated: ${(error as Error).message}`, 2);
    }
  }
  try {
    return readReportOrProfile(file, { maxInflated: limit });
  } catch (error) {
    if (error instanceof InputFileError) throw new WorkloadError(error.message, 2);
    throw error;
  }
}

export function reportCommand(): Command {
  const cmd = new Command('report')
    .summary('print a saved leakprof report or a pprof profile; --base compares two runs')
    .description(
      'Reads a leakprof JSON report (`leakprof run --json` / `-o x.json`) or a pprof profile (.pb or .pb.gz from ' +
        'leakprof --pprof, Go, C++, Java, …) and prints it: a report as text, a profile as `go tool pprof -top` ' +
        'would. With --base, subtracts an older report or profile: what appeared, grew, shrank or went since then.',
    )
    .argument('<file>', 'a leakprof JSON report, or a pprof profile (.pb, .pb.gz)')
    .option('--top', 'print the -top table (flat, flat%, sum%, cum, cum% per function); the default for pprof input')
    .option('--traces', 'print every sample with its stack, as `go tool pprof -traces`')
    .option('--sample-index <name>', 'the sample type to show (name or index), e.g. space or samples')
    .option('--nodecount <n>', 'with --top: show at most this many functions')
    .option('--base <file>', 'subtract this older report or profile (same kind): leakprof reports are compared group by group, profiles stack by stack (Go\'s -base)')
    .option('--pprof <file-or-dir>', 'write the report (or the --base difference) as pprof .pb.gz for `go tool pprof`')
    .option('--json', 'write JSON to stdout: the report, the --base difference, or the -top table')
    .addOption(new Option('--debug <level>', 'report text detail: 1 groups, 2 every resource').choices(['1', '2']).default('1'))
    .option('--internals', "show Node's internal frames and resources")
    .option('--no-summary', 'leave out the per-type summary table')
    .option('--max-inflated <size>', 'refuse a gzipped file that inflates to more than this (default 256MB): a small file can inflate to gigabytes');
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ leakprof run -o new.json -- node app.mjs\n' +
      '  $ leakprof report new.json --base release.json          # what is new since the release\n' +
      '  $ leakprof report new.json --pprof new.pb.gz && go tool pprof -http :8080 new.pb.gz\n' +
      '  $ leakprof report cpu.pb.gz --top --sample-index cpu\n' +
      '\nFile names in leakprof\'s profiles are relative to the workload\'s folder: run go tool pprof there, or pass\n' +
      '-source_path <that folder> (go tool pprof -source_path ~/app -list handler x.pb.gz).\n' +
      '\nExit code: 0; 2 when a file cannot be read or is neither a leakprof report nor a pprof profile.',
  );
  cmd.action((file: string, flags: Flags) => {
    const input = readInput(file, flags.maxInflated);
    const base = flags.base ? readInput(flags.base, flags.maxInflated) : undefined;
    if (base && base.kind !== input.kind) {
      throw new WorkloadError(`--base ${flags.base} is a ${base.kind === 'report' ? 'leakprof report' : 'pprof profile'} but ${file} is not: compare like with like`, 2);
    }
    const nodeCount = flags.nodecount === undefined ? undefined : Number(flags.nodecount);
    if (nodeCount !== undefined && !(Number.isInteger(nodeCount) && nodeCount >= 0)) throw new WorkloadError(`--nodecount takes a whole number, got "${flags.nodecount}"`, 2);
    const textOptions = { sampleIndex: flags.sampleIndex, nodeCount };
    const run = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        if (error instanceof ProfileFormatError) throw new WorkloadError(error.message, 2);
        throw error;
      }
    };
    run(() => {
      // The profiles to print or write: the input's, minus the base's when there is one.
      let profiles: ReportProfile[];
      if (input.kind === 'pprof') {
        profiles = [{ pid: 0, profile: 'profile', data: base?.kind === 'pprof' ? subtractBase(input.data, base.data) : input.data }];
      } else {
        profiles = reportToPprof(input.report);
        if (base?.kind === 'report') {
          const old = reportToPprof(base.report);
          profiles = profiles.map((p, i) => {
            const argv = (d: ReportProfile['data']) => d.comments.find((line) => line.startsWith('argv: '));
            const match = old.find((o) => o.profile === p.profile && (argv(o.data) === argv(p.data) || old.length === 1)) ?? old[i];
            return match && match.profile === p.profile ? { ...p, data: subtractBase(p.data, match.data) } : p;
          });
        }
      }
      if (flags.pprof) {
        const files = writePprofFiles(profiles, flags.pprof);
        process.stderr.write(files.length > 0 ? `leakprof: pprof written to ${files.join(', ')} (open with: go tool pprof -http :8080 ${files[0]})\n` : 'leakprof: no profiles to write\n');
      }
      if (flags.top || flags.traces || (input.kind === 'pprof' && !flags.pprof)) {
        const render = flags.traces ? renderTraces : renderTop;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(profiles.map((p) => ({ pid: p.pid, profile: p.profile, ...topTable(p.data, textOptions) })), null, 2)}\n`);
          return;
        }
        const out = profiles.map((p) => (input.kind === 'report' ? `== pid ${p.pid}: ${p.profile} profile\n` : '') + render(p.data, textOptions));
        process.stdout.write(out.join('\n'));
        return;
      }
      if (input.kind === 'report') {
        if (base?.kind === 'report') {
          const diff = diffReports(input.report, base.report);
          if (flags.json) process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
          else if (!flags.pprof) process.stdout.write(renderReportDiff(diff, { internals: flags.internals, colors: colorsFor(process.stdout) }));
          return;
        }
        if (flags.json) process.stdout.write(`${JSON.stringify(input.report, null, 2)}\n`);
        else if (!flags.pprof) process.stdout.write(renderText(input.report, { debug: flags.debug, internals: flags.internals, summary: flags.summary }, true));
      }
    });
  });
  return cmd;
}
