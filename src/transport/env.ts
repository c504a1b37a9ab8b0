/** How the collector's configuration reaches every instrumented process: environment variables, inherited by grandchildren. */
import { pathToFileURL } from 'node:url';
import { DEFAULT_COLLECTOR_CONFIG, type CollectorConfig } from './messages.js';

export const ENV_CONFIG = 'LEAKPROF_CONFIG';

export function encodeConfig(config: CollectorConfig): string {
  return JSON.stringify(config);
}

/** Reads the config a parent left; undefined when this process is not under leakprof. */
export function decodeConfig(raw: string | undefined): CollectorConfig | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<CollectorConfig>;
    if (typeof parsed.spool !== 'string' || parsed.spool === '') return undefined;
    return { ...DEFAULT_COLLECTOR_CONFIG, ...parsed, spool: parsed.spool };
  } catch {
    return undefined;
  }
}

/** NODE_OPTIONS with our preload added once; quoted as NODE_OPTIONS expects. */
export function withPreload(nodeOptions: string | undefined, preloadPath: string): string {
  const flag = `--import=${pathToFileURL(preloadPath).href}`;
  const existing = nodeOptions?.trim() ?? '';
  if (existing.includes(flag)) return existing;
  return existing ? `${existing} ${flag}` : flag;
}
