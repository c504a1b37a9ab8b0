/**
 * Loaded into every Node process under leakprof through `NODE_OPTIONS=--import …`.
 * Does nothing unless leakprof's parent left its configuration in the environment.
 */
import { decodeConfig, ENV_CONFIG } from '../transport/env.js';
import { attachToSpool } from './collector.js';
import { instrumentTestRunners } from './runners/index.js';
import { watchRequireHookedScripts } from './source-maps.js';

const marker = Symbol.for('leakprof.collector');
const config = decodeConfig(process.env[ENV_CONFIG]);
const globals = globalThis as Record<symbol, unknown>;

// Worker threads too (Node runs the --import preload in each): each is reported as its own section.
if (config && globals[marker] === undefined) {
  globals[marker] = attachToSpool(config);
  instrumentTestRunners();
  watchRequireHookedScripts();
  // LEAKPROF_HTTP under `leakprof run` too: the endpoint serves this collector (docs/live.md).
  if (process.env.LEAKPROF_HTTP) (await import('../live/from-env.js')).serveFromEnv(process.env, { heapInterval: config.heapInterval });
}
