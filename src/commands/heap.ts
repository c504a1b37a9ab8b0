/** `leakprof heap`: memlab's leak set from three heap snapshots a user took (DevTools, --heapsnapshot-signal, v8.writeHeapSnapshot). */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { findHeapLeaks } from '../analyse/heap/leak-set.js';
import { colorsFor } from '../report/colors.js';
import { renderHeapLeaks } from '../report/heap-text.js';
import { WorkloadError } from '../util/errors.js';
import { positiveInt } from './options.js';
import { checkReportOutputs, writeOutput } from './output.js';

interface Flags {
  json?: boolean;
  output?: string;
  top: string;
}

export function heapCommand(): Command {
  const cmd = new Command('heap')
    .summary('find the objects that leak between three heap snapshots (memlab\'s leak set)')
    .description(
      'Reads three or more .heapsnapshot files of one process, in the order they were taken, and reports the\n' +
        'objects allocated after the first, alive in the second and still alive in the last — grouped by class,\n' +
        'largest first, each with the shortest path from a GC root that holds it. Snapshots between the second\n' +
        'and the last are not needed. Files of any size are read as a stream.',
    )
    .argument('<first>', 'baseline snapshot, taken before the suspect work')
    .argument('<second>', 'target snapshot, taken after it')
    .argument('[last...]', 'final snapshot (after more of the same work); with more files, only the last is used')
    .option('--top <n>', 'groups shown, largest first', '10')
    .option('--json', 'write the report (HeapLeakReport) as JSON to stdout')
    .option('-o, --output <file>', 'write the report to a file: JSON if it ends in .json, else text');
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ node --heapsnapshot-signal=SIGUSR2 server.js   # kill -USR2 <pid> three times, with load in between\n' +
      '  $ leakprof heap Heap.*.heapsnapshot\n' +
      '  $ leakprof heap before.heapsnapshot after.heapsnapshot later.heapsnapshot --json > leaks.json\n' +
      '\nExit code: 0 when the report was written (leaks or not); 2 for a missing, unreadable or corrupt snapshot.',
  );
  cmd.action(async (firstFile: string, secondFile: string, rest: string[], flags: Flags) => {
    const files = [firstFile, secondFile, ...rest];
    if (rest.length === 0) throw new WorkloadError('leakprof heap needs three snapshots of one process: the first (baseline), the second (after the suspect work) and a last one (after more of it)', 2);
    for (const file of files) if (!existsSync(file)) throw new WorkloadError(`heap snapshot not found: ${file} (check the path; it is relative to ${process.cwd()})`, 2);
    const top = positiveInt(flags.top, '--top');
    checkReportOutputs({ output: flags.output });
    const colors = colorsFor(process.stderr);
    let report;
    try {
      report = await findHeapLeaks(
        files.map((file) => ({ file, label: basename(file) })),
        { top, onProgress: (msg) => process.stderr.isTTY && process.stderr.write(colors.dim(`leakprof: ${msg}\n`)) },
      );
    } catch (error) {
      throw new WorkloadError((error as Error).message, 2);
    }
    if (flags.output) {
      const json = flags.output.endsWith('.json');
      const text = json ? `${JSON.stringify(report, null, 2)}\n` : renderHeapLeaks(report);
      if (writeOutput(flags.output, text, '-o', 'the report follows on stderr')) process.stderr.write(`leakprof: report written to ${flags.output}\n`);
      else process.stderr.write(text);
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!flags.output && !flags.json) process.stdout.write(renderHeapLeaks(report, colorsFor(process.stdout)));
  });
  return cmd;
}
