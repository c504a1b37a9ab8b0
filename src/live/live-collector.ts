/**
 * The collector a live process keeps: made here, with the profiles the endpoint serves, when
 * no collector runs yet (under `leakprof run` the preload's is used as it is).
 */
import { Collector } from '../collect/collector.js';
import { DEFAULT_COLLECTOR_CONFIG } from '../transport/messages.js';
import { DEFAULT_HEAP_INTERVAL, type OptionalProfile } from './live-config.js';

const marker = Symbol.for('leakprof.collector');

export function ensureLiveCollector(profiles: ReadonlySet<OptionalProfile>): void {
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[marker] !== undefined) return;
  globals[marker] = new Collector({
    ...DEFAULT_COLLECTOR_CONFIG,
    promises: profiles.has('async'),
    listeners: profiles.has('listeners'),
    heap: profiles.has('heap'),
    heapInterval: DEFAULT_HEAP_INTERVAL,
  });
}
