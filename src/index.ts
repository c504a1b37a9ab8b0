/**
 * leakprof's library API: what a user needs, and what the CLI is a thin layer over.
 * docs/api.md describes each export with an example.
 */
// Run a command under leakprof (`leakprof run`), or judge it (`leakprof check`).
export { runWorkload as run, type RunOptions, type RunResult } from './run/run-workload.js';
export { runCheck, type CheckOptions, type CheckResult } from './check/run-check.js';
// In the process itself: what is alive, and goleak's VerifyNone.
export { snapshot, verifyNone, trackLeaks, LeakError, type VerifyOptions, type VerifyResult, type TrackResult } from './check/verify.js';
export { startTracking } from './check/in-process.js';
// For unit tests: fn called repeatedly between GCs, a LeakError naming what grew with the calls.
export { assertNoGrowth, type NoGrowthOptions, type HeapGrowth, type GrowthGroup } from './check/assert-no-growth.js';
export type { PolicyOptions } from './check/policy.js';
export type { Baseline } from './check/baseline.js';
// Your own profiles (Go's runtime/pprof NewProfile), and heap checkpoints.
export { profile, Profile, type ProfileOptions, type AddOptions } from './collect/user-profile.js';
export { checkpoint } from './collect/heap-checkpoints.js';
// Reports: read one back, print it as text, write it as pprof.
export { readReport } from './report/read-input.js';
export { renderReport, type TextOptions } from './report/text-report.js';
export { toPprof, type PprofFile } from './report/pprof.js';
export { findHeapLeaks, type HeapSnapshotInput, type FindHeapLeaksOptions } from './analyse/heap/leak-set.js';
export type { HeapLeakReport, HeapLeakGroup, HeapPathStep, HeapSnapshotInfo } from './report/schema.js';
export type { Report, ProcessReport, ProfileReport, ProfileDescriptor, GroupReport, FrameReport, Verdict, Violation, Exclusion } from './report/schema.js';
export { serve, type LiveServer } from './live/server.js';
export type { ServeOptions } from './live/live-config.js';
