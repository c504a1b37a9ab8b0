/**
 * The report leakprof writes with --json / -o: one typed definition, documented in the
 * README. Bump REPORT_SCHEMA on any change that breaks a reader.
 */
import type { StackMode, WireDetails, WireMemory } from '../transport/messages.js';

export const REPORT_SCHEMA = 'leakprof.report/v1';

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'leakprof'; version: string };
  /** The command leakprof ran, as given. */
  command: string[];
  cwd: string;
  startedAt: string;
  durationMs: number;
  outcome: Outcome;
  /** One entry per instrumented Node process (the command, and every Node process it started). */
  processes: ProcessReport[];
}

export interface Outcome {
  /** exit: the workload ended by itself; signal: it was ended by a signal; timeout: leakprof ended it after --timeout; error: it could not be run. */
  kind: 'exit' | 'signal' | 'timeout' | 'error';
  exitCode: number | null;
  signal: string | null;
  message?: string;
}

export interface ProcessReport {
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
  nodeVersion: string;
  /** Which snapshot this is: taken at exit, on request, on a signal, or the last heartbeat of a process that could not answer. */
  snapshot: { reason: string; time: string; uptimeMs: number; exitCode?: number; signal?: string };
  /** True when the process did not answer a snapshot request (its event loop was blocked); the data is its last heartbeat. */
  blocked: boolean;
  notes: string[];
  stackMode: StackMode;
  memory: WireMemory;
  profiles: ProfileReport[];
  summary: TypeSummary[];
  /** Types where async_hooks and process.getActiveResourcesInfo() disagree on ref'd resources. */
  crossCheck: CrossCheck[];
}

export interface ProfileReport {
  name: string;
  total: number;
  groups: GroupReport[];
}

export interface GroupReport {
  count: number;
  /** async_hooks type, such as Timeout, TCPWRAP, TCPSERVERWRAP, FSEVENTWRAP, PROCESSWRAP. */
  type: string;
  /** Type plus what sets this group apart: `Timeout 1000ms repeat`. */
  label: string;
  /** ref / unref for handles, pending for requests, object for a JavaScript AsyncResource (never keeps the loop alive). */
  state: string;
  ageMinMs: number;
  ageMaxMs: number;
  /** Keeps the event loop alive (ref'd handle, pending request). */
  keepsAlive: boolean;
  /** Created by Node or leakprof's runtime, not by the workload (no user frame anywhere): hidden by default. */
  internal: boolean;
  /** Why this kind is never a leak (stdio, DNS channel, histogram…), when it is not. */
  benign?: string;
  hint?: string;
  /** Creation stack, innermost first; null when no stack was captured for this group. */
  frames: FrameReport[] | null;
  /** The innermost frame in the user's own code, if any. */
  top: FrameReport | null;
  /** The source text of `top`'s line. */
  source?: string;
  /** Go's "created by": when the stack has no user frame, the nearest ancestor (by async trigger) that has one. */
  createdBy?: { asyncId: number; frames: FrameReport[]; top: FrameReport | null };
  entries: EntryReport[];
  /** The test (full path, `suite > test`) or hook whose code created this group, when a test runner ran it. */
  test?: string;
}

export interface FrameReport {
  function: string;
  /** Relative to the working directory when inside it; node:… for Node's internals. */
  file: string;
  line: number;
  column: number;
  kind: 'user' | 'node' | 'dependency' | 'leakprof';
  async?: boolean;
  evalOrigin?: string;
}

export interface EntryReport {
  id: number;
  ageMs: number;
  trigger: number;
  details?: WireDetails;
}

export interface TypeSummary {
  type: string;
  live: number;
  ref: number;
  unref: number;
  oldestMs: number;
  created: number;
  stacked: number;
}

export interface CrossCheck {
  type: string;
  nodeName: string;
  collector: number;
  node: number;
}
