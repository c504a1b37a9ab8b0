/**
 * What `leakprof report` reads: a leakprof JSON report or a pprof profile (.pb or .pb.gz, any
 * producer), told apart by their bytes. Anything else — a missing file, a gzip bomb, damaged
 * JSON, a report with a field of the wrong shape — is one InputFileError line naming the file.
 */
import { readFileSync } from 'node:fs';
import { ProfileFormatError, type PprofData } from './pprof-model.js';
import { decodeInflated, inflateInput, type DecodeOptions } from './pprof-proto.js';
import { checkReportShape, ReportShapeError } from './report-shape.js';
import type { Report } from './schema.js';

export class InputFileError extends Error {}

export type ReportInput = { kind: 'report'; report: Report } | { kind: 'pprof'; data: PprofData };

export function readReportOrProfile(file: string, options: DecodeOptions = {}): ReportInput {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(`cannot read ${file}: ${code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message)}`);
  }
  try {
    return parseReportOrProfile(buf, options);
  } catch (error) {
    if (error instanceof ProfileFormatError || error instanceof ReportShapeError) throw new InputFileError(`${file}: ${error.message}`);
    throw error;
  }
}

/**
 * A leakprof JSON report (`run --json`, `-o x.json`) read back and checked field by field;
 * anything else (a pprof profile, damaged JSON, a missing file) is one InputFileError line.
 */
export function readReport(file: string): Report {
  const input = readReportOrProfile(file);
  if (input.kind !== 'report') throw new InputFileError(`${file}: a pprof profile, not a leakprof report (read it with \`leakprof report ${file}\`)`);
  return input.report;
}

/** The same from bytes already read; throws ProfileFormatError or ReportShapeError. */
export function parseReportOrProfile(buf: Buffer, options: DecodeOptions = {}): ReportInput {
  const bytes = inflateInput(buf, options);
  const head = bytes.subarray(0, 64).toString('utf8').trimStart();
  if (!head.startsWith('{')) return { kind: 'pprof', data: decodeInflated(bytes) };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    // V8 quotes the file around the error, newlines and all: one line of it.
    throw new ProfileFormatError(`not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
  return { kind: 'report', report: checkReportShape(json) };
}
