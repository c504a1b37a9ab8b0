/** `leakprof load`: one variant of the built-in workload under leakprof, with its handle report and memory trend. */
import { Command, Option } from 'commander';
import { loadVerdict } from '../check/load-verdict.js';
import { colorsFor } from '../report/colors.js';
import { renderMemoryTrend } from '../report/memory-trend.js';
import { runBuiltinLoad } from '../run/builtin-load.js';
import { parseDuration } from '../util/duration.js';
import { addLoadShapeOptions, loadShape, type LoadFlags, addReportOptions, type ReportFlags } from './options.js';
import { emitReport } from './output.js';

interface Flags extends LoadFlags, ReportFlags {
  variant: 'leaky' | 'fixed';
  duration: string;
}

export function loadCommand(): Command {
  const cmd = new Command('load')
    .summary('drive the built-in compressor + aggregator under synthetic load and report its leaks')
    .description(
      'Runs the built-in workload — a port of VictoriaMetrics\' labels compressor and stream aggregator —\n' +
        'as a child process under leakprof, pushing Prometheus-style series with label churn, then prints\n' +
        'the handle report, the memory trend (heap after GC over time) and a one-line verdict.',
    )
    .addOption(new Option('--variant <variant>', 'leaky: before the cleanup commit; fixed: after it').choices(['leaky', 'fixed']).default('leaky'))
    .option('--duration <duration>', 'how long to push', '10s');
  addLoadShapeOptions(cmd, { series: '5000', churn: '2000/s' });
  addReportOptions(cmd);
  cmd.addHelpText('after', '\nExamples:\n  $ leakprof load --variant leaky --series 50000 --churn 2000/s --duration 30s\n  $ leakprof load --variant fixed --http');
  cmd.action(async (flags: Flags) => {
    const c = colorsFor(process.stderr);
    const run = await runBuiltinLoad({ variant: flags.variant, durationMs: parseDuration(flags.duration), ...loadShape(flags) });
    emitReport(run.report, flags);
    const verdict = loadVerdict(run);
    if (run.result) process.stderr.write(`${renderMemoryTrend(run.result.memory, run.result.slopeBytesPerMin)}\n`);
    process.stderr.write(`${verdict.leaking ? c.red(verdict.line) : c.green(verdict.line)}\n`);
    process.exitCode = run.result ? 0 : 1;
  });
  return cmd;
}
