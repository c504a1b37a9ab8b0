/** How a command delivers a report: text on stderr or stdout, JSON, a file, pprof; and the one-line notes around it. */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkloadError } from '../util/errors.js';
import { colorsFor, plain } from '../report/colors.js';
import { renderReport } from '../report/text-report.js';
import { reportToPprof, writePprofFiles } from '../report/pprof.js';
import type { Report } from '../report/schema.js';
import { checkOutputFile } from '../util/output-file.js';
import type { ReportFlags } from './options.js';

export function renderText(report: Report, flags: ReportFlags, colored = true): string {
  return renderReport(report, {
    debug: flags.debug === '2' ? 2 : 1,
    internals: Boolean(flags.internals),
    summary: flags.summary,
    colors: colored ? colorsFor(process.stderr) : plain,
  });
}

/** The files the report flags name, checked before the workload runs (one line, exit 2): a run is not spent on a report that cannot be written. */
export function checkReportOutputs(flags: Pick<ReportFlags, 'output' | 'pprof'>, more: Array<[string | undefined, string]> = []): void {
  const files: Array<[string | undefined, string]> = [[flags.output, '-o'], ...more];
  // A --pprof folder is created when missing; a .pb.gz file name is a file.
  if (flags.pprof && /\.pb(\.gz)?$/.test(flags.pprof)) files.push([flags.pprof, '--pprof']);
  try {
    for (const [file, what] of files) if (file !== undefined) checkOutputFile(file, what);
  } catch (error) {
    throw new WorkloadError((error as Error).message, 2);
  }
}

/** Writes the report where the flags say: stderr text by default, JSON to stdout, or a file. */
export function emitReport(report: Report, flags: ReportFlags): void {
  if (flags.pprof) emitPprof(report, flags.pprof);
  if (flags.output) {
    const json = flags.output.endsWith('.json');
    const text = json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, flags, false);
    if (writeOutput(flags.output, text, '-o', 'the report follows on stderr')) process.stderr.write(`leakprof: report written to ${flags.output}\n`);
    else process.stderr.write(text);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!flags.output && !flags.json) process.stderr.write(onOwnLine() + renderText(report, flags));
}

/**
 * A line break when the workload's stderr may have ended mid-line, so the report never starts
 * glued to its last line: read from a file, always on a terminal or a pipe (where it cannot be known).
 */
export function onOwnLine(): string {
  try {
    const stat = fstatSync(2);
    if (!stat.isFile()) return '\n';
    if (stat.size === 0) return '';
    const last = Buffer.alloc(1);
    const fd = openSync(`/proc/self/fd/2`, 'r');
    try {
      readSync(fd, last, 0, 1, stat.size - 1);
    } finally {
      closeSync(fd);
    }
    return last[0] === 0x0a ? '' : '\n';
  } catch {
    return '\n';
  }
}

/**
 * A file written after the run; when that fails anyway (the disk filled up, the folder went), one
 * line says so and what happens instead — the report is never lost and the exit code stays the run's.
 */
export function writeOutput(file: string, text: string, what: string, instead: string): boolean {
  try {
    writeFileSync(file, text);
    return true;
  } catch (error) {
    process.stderr.write(`leakprof: ${what} ${file}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${instead}\n`);
    return false;
  }
}

/** --pprof: the report's profiles as .pb.gz files; where they went goes to stderr. */
export function emitPprof(report: Report, target: string): void {
  let files: string[];
  try {
    files = writePprofFiles(reportToPprof(report), target);
  } catch (error) {
    // The report itself is still printed and the exit code stays the workload's: only the pprof copy is lost.
    process.stderr.write(`leakprof: --pprof ${target}: ${(error as Error).message}\n`);
    return;
  }
  process.stderr.write(files.length > 0 ? `leakprof: pprof written to ${files.join(', ')}\n` : 'leakprof: --pprof: no profiles to write (no Node process reported)\n');
}
