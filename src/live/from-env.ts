/**
 * `LEAKPROF_HTTP=127.0.0.1:6060 node --import leakprof/register app.js`: the endpoint started
 * from the environment, before the workload's code. Bad settings are one line and exit 2
 * before the workload runs; a port already taken is one line, and the workload runs on.
 */
import { asOwnTree } from '../collect/own-activity.js';
import { DEFAULT_HEAP_INTERVAL, LiveConfigError, profilesFromEnv, resolveServeOptions, serveOptionsFromEnv, type ServeOptions } from './live-config.js';
import { ensureLiveCollector } from './live-collector.js';
import { serve } from './server.js';

/** Starts the endpoint when LEAKPROF_HTTP is set (`collector`: the sampling interval of a collector already running, under `leakprof run`); also makes the process's collector with the profiles LEAKPROF_PROFILES asks for, when none runs yet. */
export function serveFromEnv(env: NodeJS.ProcessEnv = process.env, collector: { heapInterval?: number } = {}): void {
  let options: ServeOptions | undefined;
  try {
    options = serveOptionsFromEnv(env);
    if (options === undefined) return;
    resolveServeOptions(options);
    ensureLiveCollector(profilesFromEnv(env));
  } catch (error) {
    if (!(error instanceof LiveConfigError)) throw error;
    process.stderr.write(`leakprof: ${error.message}\n`);
    process.exit(2);
  }
  const asked = options;
  serve(asked, { heapInterval: collector.heapInterval ?? DEFAULT_HEAP_INTERVAL }).then(
    (server) => {
      // Said only when the port was left to the OS: otherwise the workload's stderr is its own.
      if (asked.port === 0) asOwnTree(() => process.stderr.write(`leakprof: pprof endpoint at ${server.url}/debug/pprof/\n`));
    },
    (error: NodeJS.ErrnoException) => {
      asOwnTree(() => process.stderr.write(`leakprof: the pprof endpoint could not listen on ${asked.host ?? '127.0.0.1'}:${asked.port}: ${error.code ?? error.message}\n`));
    },
  );
}
