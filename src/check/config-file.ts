/**
 * check's settings from the project: `leakprof.config.json` in the working directory, or a
 * `leakprof` key in its package.json. Same names as the flags, camelCased; flags win.
 */
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { parseBytes } from '../util/bytes.js';
import { parseDuration } from '../util/duration.js';
import { parseIgnoreRule } from './ignore-rules.js';
import { resolvePolicy, type PolicyOptions } from './policy.js';

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

type Kind = 'number' | 'string' | 'boolean' | 'list' | 'size' | 'duration' | 'path' | 'limits';

const KNOWN: Record<keyof CheckSettings, Kind> = {
  maxHandles: 'number',
  maxPromises: 'number',
  maxListeners: 'number',
  max: 'limits',
  maxHeapGrowth: 'size',
  strict: 'boolean',
  failOn: 'list',
  ignore: 'list',
  settle: 'duration',
  baseline: 'path',
  promises: 'boolean',
  listeners: 'boolean',
  timeout: 'string',
  junit: 'path',
};

export class ConfigError extends Error {}

export interface LoadedConfig {
  settings: CheckSettings;
  /** Where they came from, for messages; undefined when there was no config. */
  source?: string;
}

/**
 * Reads the project's settings and checks every value the way its flag is checked, each error
 * naming the key and the file (never a flag the user did not type). A config file comes with
 * the clone, so the files it names (baseline, junit) must stay inside the project folder.
 */
export function loadCheckConfig(cwd: string): LoadedConfig {
  const file = join(cwd, 'leakprof.config.json');
  if (existsSync(file)) return { settings: validate(parse(file), 'leakprof.config.json', cwd), source: file };
  const pkg = join(cwd, 'package.json');
  if (existsSync(pkg)) {
    const json = parse(pkg) as { leakprof?: unknown } | null;
    if (json !== null && typeof json === 'object' && Object.hasOwn(json, 'leakprof')) {
      return { settings: validate(json.leakprof, 'package.json "leakprof"', cwd), source: `${pkg} ("leakprof")` };
    }
  }
  return { settings: {} };
}

function parse(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message.replace(/\s+/g, ' ')}`);
  }
}

const SHAPE: Record<Kind, string> = {
  number: 'a whole number (0 or more)',
  boolean: 'true or false',
  string: 'a string',
  list: 'a string or a list of strings',
  size: 'a number of bytes or a string such as "20MB"',
  duration: 'a number of ms or a string such as "300ms"',
  path: 'a file path relative to the project folder',
  limits: 'an object of profile names and whole numbers, such as { "db-connections": 5 }',
};

function validate(value: unknown, where: string, cwd: string): CheckSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${where} must be an object of check options, such as { "maxHandles": 0 }`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(KNOWN, key)) throw new ConfigError(`${where}: unknown option "${key}" (known: ${Object.keys(KNOWN).join(', ')})`);
    const kind = KNOWN[key as keyof CheckSettings];
    const bad = (detail: string): ConfigError => new ConfigError(`${where}: "${key}" ${detail}`);
    const ok =
      kind === 'number' ? typeof v === 'number' && Number.isInteger(v) && v >= 0 :
      kind === 'boolean' ? typeof v === 'boolean' :
      kind === 'string' || kind === 'path' ? typeof v === 'string' :
      kind === 'size' || kind === 'duration' ? (typeof v === 'number' && Number.isFinite(v) && v >= 0) || typeof v === 'string' :
      kind === 'limits' ? v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0) :
      typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw bad(`must be ${SHAPE[kind]}, got ${JSON.stringify(v)}`);
    const problem = meaning(key as keyof CheckSettings, v as string | number | string[] | Record<string, number>, cwd);
    if (problem) throw new ConfigError(`${where}: "${key}": ${problem}`);
    out[key] = v;
  }
  return out as CheckSettings;
}

/** What is wrong with a well-typed value, checked by the same parsers as its flag; undefined when nothing. */
function meaning(key: keyof CheckSettings, v: string | number | string[] | Record<string, number>, cwd: string): string | undefined {
  try {
    switch (key) {
      case 'maxHeapGrowth':
        parseBytes(v as string | number);
        return undefined;
      case 'settle':
        parseDuration(v as string | number);
        return undefined;
      case 'timeout':
        return parseDuration(v as string) > 0 ? undefined : 'must be more than 0 (leave it out for no timeout)';
      case 'failOn':
      case 'max':
        // The same parser as the flags; its message without the flag the user did not type.
        try {
          resolvePolicy({ [key]: v });
          return undefined;
        } catch (error) {
          return (error as Error).message.replace(/^--[a-z-]+:? /, '');
        }
      case 'ignore':
        for (const rule of Array.isArray(v) ? v : [v as string]) parseIgnoreRule(rule, 'rule');
        return undefined;
      case 'baseline':
      case 'junit':
        return outsideProject(cwd, v as string);
      default:
        return undefined;
    }
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Why a path from the config is refused, or undefined: absolute, climbing out with `..`, or
 * leading out through a symlink (a clone can hold one) — it must name a file inside `cwd`.
 */
function outsideProject(cwd: string, path: string): string | undefined {
  const refuse = (why: string) => `${JSON.stringify(path)} ${why}: a config file may only name files inside the project folder (${cwd}); give a path relative to it, or pass the flag on the command line`;
  if (path.trim() === '') return 'is empty: give a file name';
  if (isAbsolute(path)) return refuse('is an absolute path');
  const rel = normalize(path);
  if (rel === '..' || rel.startsWith(`..${sep}`)) return refuse('leads out of the project with ".."');
  const root = realpathSync(cwd);
  // The nearest part of the path that exists, symlinks resolved, must still be inside.
  let at = resolve(cwd, rel);
  for (;;) {
    let real: string | undefined;
    try {
      real = realpathSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return refuse(`cannot be resolved (${code})`);
      if (lstatOrUndefined(at)?.isSymbolicLink()) return refuse('is a symlink to nowhere');
    }
    if (real !== undefined) {
      const inside = relative(root, real);
      if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return refuse(`leads out of the project through a symlink (to ${real})`);
      return undefined;
    }
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
