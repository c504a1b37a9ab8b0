/**
 * `leakprof check` as a library: run the workload like `run` (every Node process
 * instrumented, in check mode: a GC before each exit snapshot), then judge the report with
 * the same code verifyNone() uses, and handle the baseline file.
 */
import { existsSync } from 'node:fs';
import type { Report } from '../report/schema.js';
import { runWorkload, type RunOptions } from '../run/run-workload.js';
import { checkOutputFile } from '../util/output-file.js';
import { BaselineError, baselineFrom, readBaseline, writeBaseline } from './baseline.js';
import { judge, statusOf, type Judgement } from './judge.js';
import { resolvePolicy, type PolicyOptions } from './policy.js';

export interface CheckOptions extends Omit<RunOptions, 'collector'> {
  policy?: PolicyOptions;
  /** Baseline file: written when missing (or with updateBaseline), else only what is new counts. */
  baselineFile?: string;
  updateBaseline?: boolean;
  /** Track pending promises (profile 'async') and listeners (profile 'listeners'). */
  promises?: boolean;
  listeners?: boolean;
}

export interface CheckResult extends Judgement {
  /** The run report with the verdict attached (what --json prints). */
  report: Report;
  exitCode: number;
}

export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const writing = options.baselineFile !== undefined && (options.updateBaseline === true || !existsSync(options.baselineFile));
  // Read (and validate) the baseline and the policy before spending a run on them.
  const baseline = options.baselineFile !== undefined && !writing ? readBaseline(options.baselineFile) : null;
  const policy = resolvePolicy(options.policy, baseline);
  if (writing) {
    try {
      checkOutputFile(options.baselineFile!, '--baseline');
    } catch (error) {
      throw new BaselineError((error as Error).message);
    }
  }

  const { policy: _p, baselineFile: _b, updateBaseline: _u, promises, listeners, ...run } = options;
  const result = await runWorkload({
    ...run,
    promises: promises === true,
    listeners: listeners === true,
    // Samples after forced GCs only where the heap is judged: they cost up to a fifth of each process's CPU.
    collector: { gc: true, gcSamples: policy.maxHeapGrowth !== null },
  });
  const report = result.report;

  let judgement: Judgement;
  if (writing) {
    const written = baselineFrom(report.processes, options.command);
    let writeError: string | undefined;
    try {
      writeBaseline(options.baselineFile!, written);
    } catch (error) {
      // Checked before the run; if it fails anyway the report still comes, saying so.
      writeError = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    const { status, exitCode } = statusOf(false, report.outcome);
    judgement = {
      verdict: {
        status,
        exitCode,
        violations: [],
        excluded: [],
        totals: [],
        baselineWritten: { file: options.baselineFile!, groups: written.groups.length, ...(writeError ? { error: writeError } : {}) },
      },
      counted: [],
      shown: [],
    };
  } else {
    judgement = judge(report.processes, policy, report.outcome);
  }
  report.verdict = judgement.verdict;
  return { ...judgement, report, exitCode: judgement.verdict.exitCode };
}
