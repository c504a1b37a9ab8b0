/** The one place a Report is made: the schema, its revision and the tool's version, around the processes. */
import { REPORT_SCHEMA, REPORT_SCHEMA_REVISION, type Outcome, type ProcessReport, type Report } from '../report/schema.js';
import { toolVersion } from '../util/version.js';

export interface ReportParts {
  command: string[];
  cwd: string;
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  outcome: Outcome;
  processes: ProcessReport[];
}

export function assembleReport(parts: ReportParts): Report {
  return {
    schema: REPORT_SCHEMA,
    schemaRevision: REPORT_SCHEMA_REVISION,
    tool: { name: 'leakprof', version: toolVersion() },
    command: parts.command,
    cwd: parts.cwd,
    startedAt: new Date(parts.startedAt).toISOString(),
    durationMs: Math.max(0, parts.durationMs),
    outcome: parts.outcome,
    processes: parts.processes,
  };
}
