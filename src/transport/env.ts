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

/**
 * NODE_OPTIONS with our preload added once; quoted as NODE_OPTIONS expects. With `earlyPath`,
 * also a `--require` of it, which Node runs before a command line's own --require modules.
 */
export function withPreload(nodeOptions: string | undefined, preloadPath: string, earlyPath?: string): string {
  const flag = `--import=${pathToFileURL(preloadPath).href}`;
  let out = nodeOptions?.trim() ?? '';
  if (earlyPath !== undefined) {
    const early = `--require=${/[\s"\\]/.test(earlyPath) ? JSON.stringify(earlyPath) : earlyPath}`;
    if (!out.includes(early)) out = out ? `${out} ${early}` : early;
  }
  if (!out.includes(flag)) out = out ? `${out} ${flag}` : flag;
  return out;
}
