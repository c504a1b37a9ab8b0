/**
 * What the live endpoint is told: `serve({ port, host, token })` or, through `--import
 * leakprof/register`, the environment (LEAKPROF_HTTP, LEAKPROF_TOKEN, LEAKPROF_PROFILES,
 * LEAKPROF_HEAP_SNAPSHOTS). One place checks it: loopback unless a token guards the door.
 */
import { isIP } from 'node:net';

export const ENV_HTTP = 'LEAKPROF_HTTP';
export const ENV_TOKEN = 'LEAKPROF_TOKEN';
export const ENV_PROFILES = 'LEAKPROF_PROFILES';
export const ENV_HEAP_SNAPSHOTS = 'LEAKPROF_HEAP_SNAPSHOTS';

/** The optional profiles a live process can keep (handles always): what each costs is in docs/live.md. */
export const OPTIONAL_PROFILES = ['async', 'listeners', 'heap'] as const;
export type OptionalProfile = (typeof OPTIONAL_PROFILES)[number];
/** Go's default MemProfileRate: one heap sample per 512 KiB allocated. */
export const DEFAULT_HEAP_INTERVAL = 512 * 1024;

export interface ServeOptions {
  /** TCP port; 0 picks a free one (the URL says which). Default 6060, as Go's examples. */
  port?: number;
  /** Default 127.0.0.1. Anything but loopback needs `token`. */
  host?: string;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Serve /debug/leakprof/heapsnapshot (a full heap snapshot: costly, and holds every string of the process). */
  heapSnapshots?: boolean;
  /** Optional profiles to keep beside handles, when serve() makes the process's collector: default listeners and heap (LEAKPROF_PROFILES). */
  profiles?: OptionalProfile[];
}

export interface LiveConfig {
  host: string;
  port: number;
  token: string | undefined;
  heapSnapshots: boolean;
}

/** Bad configuration: its message is one line for the user. */
export class LiveConfigError extends Error {}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export function resolveServeOptions(options: ServeOptions = {}): LiveConfig {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6060;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LiveConfigError(`port must be a whole number from 0 to 65535, got ${String(options.port)}`);
  if (host === '' || /[\s/]/.test(host)) throw new LiveConfigError(`host "${host}" is not a host name or address`);
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopback(host) && token === undefined) {
    throw new LiveConfigError(`refusing to serve profiles on ${host}, which is not a loopback address, without a token: set ${ENV_TOKEN} (or serve({ token })), and send "Authorization: Bearer <token>"`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), port, token, heapSnapshots: options.heapSnapshots === true };
}

/** LEAKPROF_HTTP: `host:port`, `[::1]:port`, `:port` or `port`. */
export function parseHttpAddress(value: string): { host?: string; port: number } {
  const text = value.trim();
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d+)$/.exec(text);
  if (!m) throw new LiveConfigError(`${ENV_HTTP}="${value}": expected host:port, :port or port (e.g. 127.0.0.1:6060)`);
  const port = Number(m[2]);
  if (port > 65535) throw new LiveConfigError(`${ENV_HTTP}="${value}": port ${port} is above 65535`);
  return m[1] ? { host: m[1], port } : { port };
}

/** The serve options the environment asks for, or undefined when LEAKPROF_HTTP is not set. */
export function serveOptionsFromEnv(env: NodeJS.ProcessEnv): ServeOptions | undefined {
  const raw = env[ENV_HTTP];
  if (raw === undefined || raw === '') return undefined;
  const address = parseHttpAddress(raw);
  return { ...address, token: env[ENV_TOKEN] || undefined, heapSnapshots: env[ENV_HEAP_SNAPSHOTS] === '1' };
}

/** LEAKPROF_PROFILES: a comma list of optional profiles to keep; default listeners,heap. */
export function profilesFromEnv(env: NodeJS.ProcessEnv): Set<OptionalProfile> {
  const raw = env[ENV_PROFILES];
  if (raw === undefined || raw.trim() === '') return new Set(['listeners', 'heap']);
  const out = new Set<OptionalProfile>();
  for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (name === 'handles') continue;
    if (name === 'all') {
      for (const p of OPTIONAL_PROFILES) out.add(p);
      continue;
    }
    if (!(OPTIONAL_PROFILES as readonly string[]).includes(name)) {
      throw new LiveConfigError(`${ENV_PROFILES}: unknown profile "${name}" (known: handles, ${OPTIONAL_PROFILES.join(', ')}, all)`);
    }
    out.add(name as OptionalProfile);
  }
  return out;
}
