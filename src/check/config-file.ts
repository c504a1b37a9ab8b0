/**
 * check's settings from the project: `leakprof.config.json` in the working directory, or a
 * `leakprof` key in its package.json. Same names as the flags, camelCased; flags win.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyOptions } from './policy.js';

export interface CheckSettings extends PolicyOptions {
  /** Baseline file (see --baseline). */
  baseline?: string;
  /** Track pending promises (profile 'async'). */
  promises?: boolean;
  /** Track event listeners (profile 'listeners'). */
  listeners?: boolean;
  /** End a hanging workload after this long (`30s`). */
  timeout?: string;
  /** JUnit XML file to write. */
  junit?: string;
}

const KNOWN: Record<keyof CheckSettings, 'number' | 'string' | 'boolean' | 'list' | 'size'> = {
  maxHandles: 'number',
  maxPromises: 'number',
  maxListeners: 'number',
  maxHeapGrowth: 'size',
  strict: 'boolean',
  failOn: 'list',
  ignore: 'list',
  settle: 'size',
  baseline: 'string',
  promises: 'boolean',
  listeners: 'boolean',
  timeout: 'string',
  junit: 'string',
};

export class ConfigError extends Error {}

export interface LoadedConfig {
  settings: CheckSettings;
  /** Where they came from, for messages; undefined when there was no config. */
  source?: string;
}

export function loadCheckConfig(cwd: string): LoadedConfig {
  const file = join(cwd, 'leakprof.config.json');
  if (existsSync(file)) return { settings: validate(parse(file), 'leakprof.config.json'), source: file };
  const pkg = join(cwd, 'package.json');
  if (existsSync(pkg)) {
    const json = parse(pkg) as { leakprof?: unknown };
    if (json.leakprof !== undefined) return { settings: validate(json.leakprof, 'package.json "leakprof"'), source: `${pkg} ("leakprof")` };
  }
  return { settings: {} };
}

function parse(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function validate(value: unknown, where: string): CheckSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${where} must be an object of check options, such as { "maxHandles": 0 }`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kind = KNOWN[key as keyof CheckSettings];
    if (!kind) throw new ConfigError(`${where}: unknown option "${key}" (known: ${Object.keys(KNOWN).join(', ')})`);
    const ok =
      kind === 'number' ? typeof v === 'number' :
      kind === 'boolean' ? typeof v === 'boolean' :
      kind === 'string' ? typeof v === 'string' :
      kind === 'size' ? typeof v === 'number' || typeof v === 'string' :
      typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw new ConfigError(`${where}: "${key}" must be ${kind === 'list' ? 'a string or a list of strings' : kind === 'size' ? 'a number or a string such as "20MB" / "300ms"' : `a ${kind}`}`);
    out[key] = v;
  }
  return out as CheckSettings;
}
