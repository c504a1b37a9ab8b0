/** leakprof's library API: what the CLI is a thin layer over. */
export { parseDuration, formatDuration } from './util/duration.js';
export { parseBytes, formatBytes } from './util/bytes.js';
export { snapshot, verifyNone, trackLeaks, LeakError, type VerifyOptions, type VerifyResult, type TrackResult } from './check/verify.js';
export { startTracking } from './check/in-process.js';
export { checkpoint } from './collect/heap-checkpoints.js';
export { runCheck, type CheckOptions, type CheckResult } from './check/run-check.js';
export { judge, type Judgement } from './check/judge.js';
export { resolvePolicy, type PolicyOptions, type CheckPolicy } from './check/policy.js';
export { baselineFrom, readBaseline, writeBaseline, type Baseline } from './check/baseline.js';
export { findHeapLeaks, type HeapSnapshotInput, type FindHeapLeaksOptions } from './analyse/heap/leak-set.js';
export type { HeapLeakReport, HeapLeakGroup, HeapPathStep, HeapSnapshotInfo } from './report/schema.js';
export type { Report, ProcessReport, GroupReport, Verdict, Violation, Exclusion } from './report/schema.js';
export { serve, type LiveServer } from './live/server.js';
export type { ServeOptions } from './live/live-config.js';
