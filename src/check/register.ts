/**
 * `node --import leakprof/register --test`: starts this process's collector before any test
 * code runs, so verifyNone() has a creation stack for everything (not only for what was made
 * after its first call). Not needed under `leakprof check`, whose preload already does this.
 */
import { startTracking } from './in-process.js';

startTracking();
