/**
 * `node --import leakprof/register --test`: starts this process's collector before any test
 * code runs, so verifyNone() has a creation stack for everything (not only for what was made
 * after its first call). Not needed under `leakprof check`, whose preload already does this.
 */
import { instrumentTestRunners } from '../collect/runners/index.js';
import { serveFromEnv } from '../live/from-env.js';
import { startTracking } from './in-process.js';

// LEAKPROF_HTTP: the live endpoint (docs/live.md); its collector, with the profiles it serves, first.
serveFromEnv();
startTracking();
// Per-test attribution too, as under `leakprof check`: verifyNone() in a test answers for that test.
instrumentTestRunners();
