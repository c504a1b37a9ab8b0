/**
 * net/http/pprof for Node: an endpoint in the process, at the paths Go's uses, so
 * `go tool pprof http://host/debug/pprof/handles`, Parca and Pyroscope read it unchanged.
 *
 *   import { serve } from 'leakprof'; await serve({ port: 6060 });
 *   LEAKPROF_HTTP=127.0.0.1:6060 node --import leakprof/register server.js
 *
 * Its server, connections, parsers and timers are made in an own tree (asOwnTree), so none
 * of them is ever in a report. It does nothing between requests: no timer, no sampling
 * (the memory series gets a sample per request).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { asOwnTree, ownTreeSize } from '../collect/own-activity.js';
import { MemorySeries, memoryNow } from '../collect/memory-series.js';
import { encodePprof } from '../report/pprof-proto.js';
import { subtractBase } from '../report/pprof-diff.js';
import { ensureLiveCollector } from './live-collector.js';
import { DEFAULT_HEAP_INTERVAL, profilesFromEnv, resolveServeOptions, type LiveConfig, type ServeOptions } from './live-config.js';
import { liveReport, PROFILE_ALIASES, PROFILE_DESCRIPTIONS, profileNames, profilePprof, profileText } from './live-profiles.js';

export interface LiveServer {
  /** `http://host:port` (no trailing slash); the index is at `${url}/debug/pprof/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_SECONDS = 3600;

/** Starts the endpoint; resolves once it listens. Refuses a non-loopback host without a token. */
export function serve(options: ServeOptions = {}, internal: { heapInterval?: number } = {}): Promise<LiveServer> {
  let config: LiveConfig;
  try {
    config = resolveServeOptions(options);
    ensureLiveCollector(options.profiles ? new Set(options.profiles) : profilesFromEnv(process.env));
  } catch (error) {
    return Promise.reject(error);
  }
  const endpoint = new Endpoint(config, internal.heapInterval ?? DEFAULT_HEAP_INTERVAL);
  return asOwnTree(
    () =>
      new Promise<LiveServer>((resolve, reject) => {
        const server = createServer((req, res) => asOwnTree(() => endpoint.handle(req, res)));
        // Its sockets never keep the workload alive, and a slow client never holds one forever.
        server.unref();
        server.on('connection', (socket: Socket) => socket.unref());
        server.headersTimeout = 10_000;
        server.requestTimeout = (MAX_SECONDS + 60) * 1000;
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.removeListener('error', reject);
          const port = (server.address() as AddressInfo).port;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ url: `http://${host}:${port}`, port, close: () => closeServer(server) });
        });
      }),
  );
}

function closeServer(server: Server): Promise<void> {
  return asOwnTree(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}

class Endpoint {
  /** A heap profile, heap snapshot or forced GC is running: others of the kind wait (429). */
  private busy = false;
  private readonly memory = new MemorySeries();
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly config: LiveConfig,
    private readonly heapInterval: number,
  ) {
    this.tokenDigest = config.token === undefined ? undefined : digest(config.token);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 500, 'text/plain', `leakprof: ${(error as Error).message}\n`);
      else res.destroy();
    }
  }

  private authorized(req: IncomingMessage): boolean {
    if (this.tokenDigest === undefined) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    // Digests are compared, in constant time: the same length whatever was sent.
    return m !== null && timingSafeEqual(digest(m[1]!.trim()), this.tokenDigest);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="leakprof"');
      return send(res, 401, 'text/plain', 'leakprof: unauthorized: send Authorization: Bearer <LEAKPROF_TOKEN>\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'leakprof: only GET\n');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const q = url.searchParams;
    this.memory.add(false);
    if (path === '/debug/pprof' || path === '/debug/pprof/') return this.index(res);
    if (path === '/debug/leakprof/memory') return this.memorySeries(res);
    if (path === '/debug/leakprof/report') return this.costly(res, q.get('gc') === '1', () => sendJson(res, liveReport({ gc: q.get('gc') === '1' })));
    if (path === '/debug/leakprof/heapsnapshot') return this.heapSnapshot(res);
    if (path.startsWith('/debug/pprof/')) {
      const asked = path.slice('/debug/pprof/'.length);
      return this.profile(res, PROFILE_ALIASES[asked] ?? asked, q);
    }
    send(res, 404, 'text/plain', `leakprof: no such path ${path}: the index is at /debug/pprof/\n`);
  }

  private index(res: ServerResponse): void {
    const report = liveReport();
    const proc = report.processes[0]!;
    const rows = proc.profiles
      .map((p) => `<tr><td>${p.total}</td><td><a href="${p.name}?debug=1">${p.name}</a></td><td>${escapeHtml(PROFILE_DESCRIPTIONS[p.name] ?? '')}</td></tr>`)
      .join('\n');
    const html = `<html>
<head><title>/debug/pprof/</title></head>
<body>
/debug/pprof/ of pid ${proc.pid} (leakprof ${report.tool.version})<br>
<br>
Types of profiles available:
<table>
<thead><td>Count</td><td>Profile</td><td>Description</td></thead>
${rows}
</table>
<a href="handles?debug=2">full handle dump</a> (every live handle with its state and age)<br>
<a href="/debug/leakprof/memory">memory series</a> (JSON: heapUsed and rss at each request)<br>
${this.config.heapSnapshots ? '<a href="/debug/leakprof/heapsnapshot">heap snapshot</a> (costly: stops the process while V8 writes it)<br>\n' : ''}<p>
Profiles: add ?debug=1 for text, ?seconds=N for the change over N seconds, ?gc=1 for a full GC first.
Read them with <code>go tool pprof http://HOST/debug/pprof/handles</code> or <code>npx leakprof attach http://HOST</code>.
</p>
</body>
</html>
`;
    send(res, 200, 'text/html; charset=utf-8', html);
  }

  private profile(res: ServerResponse, name: string, q: URLSearchParams): void {
    const debugText = q.get('debug') ?? '0';
    if (!/^[0-2]$/.test(debugText)) return send(res, 400, 'text/plain', `leakprof: debug must be 0, 1 or 2, got "${debugText}"\n`);
    const debug = Number(debugText) as 0 | 1 | 2;
    const secondsText = q.get('seconds');
    const seconds = secondsText === null ? 0 : Number(secondsText);
    if (secondsText !== null && !(Number.isInteger(seconds) && seconds > 0 && seconds <= MAX_SECONDS)) {
      return send(res, 400, 'text/plain', `leakprof: seconds must be a whole number from 1 to ${MAX_SECONDS}, got "${secondsText}"\n`);
    }
    // As Go's delta profiles: a difference is a profile, not text.
    if (seconds > 0 && q.has('debug')) return send(res, 400, 'text/plain', 'leakprof: seconds and debug params are incompatible\n');
    const gc = q.get('gc') === '1';
    const first = liveReport();
    if (!profileNames(first).includes(name)) {
      const known = profileNames(first).join(', ');
      const off = name in PROFILE_DESCRIPTIONS ? ` (the ${name} profile is off in this process: add it to LEAKPROF_PROFILES)` : '';
      return send(res, 404, 'text/plain', `leakprof: unknown profile "${name}"${off}; this process serves: ${known}\n`);
    }
    this.costly(res, gc || name === 'heap', () => {
      const report = gc ? liveReport({ gc }) : first;
      if (debug > 0) return send(res, 200, 'text/plain; charset=utf-8', profileText(report, name, debug as 1 | 2)!);
      if (seconds === 0) return sendProfile(res, name, encodePprof(profilePprof(report, name, this.heapInterval)!));
      // The delta: what is there after N seconds minus what was there at the start (Go's ?seconds=N).
      const before = profilePprof(report, name, this.heapInterval)!;
      const timer = setTimeout(
        () =>
          asOwnTree(() => {
            res.removeListener('close', cancel);
            const after = profilePprof(liveReport({ gc }), name, this.heapInterval)!;
            const delta = { ...subtractBase(after, before), timeNanos: before.timeNanos, durationNanos: seconds * 1e9 };
            sendProfile(res, name, encodePprof(delta));
          }),
        seconds * 1000,
      );
      const cancel = (): void => clearTimeout(timer);
      res.once('close', cancel);
    });
  }

  /** Runs fn now, or answers 429 when it is costly and another costly request is running. */
  private costly(res: ServerResponse, isCostly: boolean, fn: () => void): void {
    if (!isCostly) return fn();
    if (this.busy) {
      res.setHeader('Retry-After', '1');
      return send(res, 429, 'text/plain', 'leakprof: another costly request (heap profile, heap snapshot, gc=1) is running; try again\n');
    }
    this.busy = true;
    try {
      fn();
    } finally {
      this.busy = false;
    }
  }

  private memorySeries(res: ServerResponse): void {
    // ownResources: the endpoint's own live async resources (its server, connections, timers): flat when it leaks nothing.
    sendJson(res, { pid: process.pid, now: memoryNow(), samples: this.memory.samples, ownResources: ownTreeSize() });
  }

  private heapSnapshot(res: ServerResponse): void {
    if (!this.config.heapSnapshots) {
      return send(res, 404, 'text/plain', 'leakprof: heap snapshots are off: start the process with LEAKPROF_HEAP_SNAPSHOTS=1 (serve({ heapSnapshots: true }))\n');
    }
    if (this.busy) {
      res.setHeader('Retry-After', '5');
      return send(res, 429, 'text/plain', 'leakprof: another costly request is running; try again\n');
    }
    this.busy = true;
    // A private folder (0700) and file (0600), removed once sent: a snapshot holds every string of the process.
    const dir = mkdtempSync(join(tmpdir(), 'leakprof-heap-'));
    const done = (): void => {
      this.busy = false;
      rmSync(dir, { recursive: true, force: true });
    };
    let file: string;
    try {
      file = writeHeapSnapshot(join(dir, `Heap.${process.pid}.heapsnapshot`));
    } catch (error) {
      done();
      return send(res, 500, 'text/plain', `leakprof: the heap snapshot failed: ${(error as Error).message}\n`);
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="Heap.${process.pid}.heapsnapshot"`,
      'X-Content-Type-Options': 'nosniff',
    });
    const stream = createReadStream(file);
    stream.pipe(res);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      stream.destroy();
      done();
    };
    res.once('close', finish);
    stream.once('error', () => {
      res.destroy();
      finish();
    });
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, 'application/json', `${JSON.stringify(value)}\n`);
}

function sendProfile(res: ServerResponse, name: string, body: Buffer): void {
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
  send(res, 200, 'application/octet-stream', body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}
