/** `leakprof demo`: the leaky and the fixed built-in workload, one after the other, verdicts side by side. */
import Table from 'cli-table3';
import { Command } from 'commander';
import { loadVerdict, type LoadVerdict } from '../check/load-verdict.js';
import { colorsFor } from '../report/colors.js';
import { sparkline } from '../report/memory-trend.js';
import { runBuiltinLoad, type BuiltinLoadRun } from '../run/builtin-load.js';
import { formatBytes } from '../util/bytes.js';
import { parseDuration } from '../util/duration.js';
import { addLoadShapeOptions, loadShape, type LoadFlags } from './options.js';
import { renderText } from './output.js';

interface Flags extends LoadFlags {
  duration: string;
  heap: boolean;
  json?: boolean;
  reports?: boolean;
}

export function demoCommand(): Command {
  const cmd = new Command('demo')
    .summary('the built-in workload, leaky then fixed, verdicts side by side (about 30 s)')
    .description(
      'Runs the labels compressor + stream aggregator workload twice under leakprof: the leaky variant (labels\n' +
        'never evicted, a ref\'d rotation timer, stop() that forgets its flusher) and the fixed one (rotation with\n' +
        'two-phase eviction, unref\'d timer, stop() that cleans up), then prints both verdicts side by side:\n' +
        'the handles that kept each alive, the heap trend, and the heap leak set (who holds what stays).',
    )
    .option('--duration <duration>', 'how long each variant pushes', '10s')
    .option('--reports', 'also print the full handle report of each variant')
    .option('--no-heap', 'skip the heap snapshots (the heap leak set row)')
    .option('--json', 'print the verdicts and both reports as JSON on stdout');
  addLoadShapeOptions(cmd, { series: '5000', churn: '2000/s' });
  cmd.action(async (flags: Flags) => {
    const c = colorsFor(process.stderr);
    const shape = loadShape(flags);
    const durationMs = parseDuration(flags.duration);
    const runs: BuiltinLoadRun[] = [];
    for (const variant of ['leaky', 'fixed'] as const) {
      process.stderr.write(c.bold(`== ${variant}: ${shape.series} series, churn ${shape.churnPerSec}/s, ${flags.duration}${shape.http ? ', over HTTP' : ''}\n`));
      runs.push(await runBuiltinLoad({ variant, durationMs, ...shape, heap: flags.heap, onProgress: (line) => process.stderr.write(c.dim(`  ${variant} | ${line}\n`)) }));
    }
    const verdicts = runs.map(loadVerdict);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ verdicts: verdicts.map(stripGroups), reports: runs.map((r) => r.report) }, null, 2)}\n`);
    }
    if (flags.reports) for (const run of runs) process.stderr.write(renderText(run.report, { debug: '1', summary: true }));
    process.stderr.write(`${sideBySide(runs, verdicts, c)}\n`);
    for (const v of verdicts) process.stderr.write(`${v.leaking ? c.red(v.line) : c.green(v.line)}\n`);
    process.exitCode = runs.every((r) => r.result) ? 0 : 1;
  });
  return cmd;
}

function heapCell(run: BuiltinLoadRun, v: LoadVerdict, c: ReturnType<typeof colorsFor>): string {
  if (v.heapLeak) return c.red(`${v.heapLeak.count.toLocaleString('en-US')} × ${v.heapLeak.name}\nheld by ${v.heapLeak.heldBy}`);
  return run.report.processes[0]?.heapLeaks ? c.green('nothing grew') : '-';
}

function stripGroups(v: LoadVerdict) {
  return { ...v, leakedHandles: v.leakedHandles.map((g) => ({ count: g.count, label: g.label, top: g.top })) };
}

function sideBySide(runs: BuiltinLoadRun[], verdicts: LoadVerdict[], c: ReturnType<typeof colorsFor>): string {
  const table = new Table({ head: ['', ...runs.map((r) => c.bold(r.options.variant))], style: { head: [], border: [], compact: true } });
  const cell = (f: (r: BuiltinLoadRun, v: LoadVerdict) => string) => runs.map((r, i) => f(r, verdicts[i]!));
  table.push(
    ['samples pushed', ...cell((r) => (r.result ? r.result.samplesPushed.toLocaleString('en-US') : '-'))],
    ['compressor labels at end', ...cell((r) => (r.result ? r.result.compressorItems.toLocaleString('en-US') : '-'))],
    ['compressor size', ...cell((r) => (r.result ? formatBytes(r.result.compressorBytes) : '-'))],
    ['heap after GC', ...cell((r) => (r.result ? sparkline(r.result.memory.map((m) => m.heapUsed)) : '-'))],
    ['heap slope', ...cell((_r, v) => (v.slopeBytesPerMin === null ? '-' : `${v.slopeBytesPerMin >= 0 ? '+' : ''}${formatBytes(v.slopeBytesPerMin)}/min`))],
    ['exited by itself', ...cell((r) => (r.exitedByItself ? 'yes' : c.red('no: kept alive')))],
    ['heap leak set', ...cell((r, v) => heapCell(r, v, c))],
    ['handles left alive', ...cell((_r, v) => String(v.leakedHandles.reduce((n, g) => n + g.count, 0)))],
    ['verdict', ...cell((_r, v) => (v.leaking ? c.red('LEAKING') : c.green('clean')))],
  );
  return table.toString();
}
