/**
 * The other side of the live endpoint: what `leakprof attach` and `leakprof top` ask a running
 * process, over HTTP (undici, with timeouts) or, for a process under `leakprof run`, through its
 * spool's request file. Every failure is one line (LiveClientError).
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { buildProcessReport } from '../analyse/build-report.js';
import { REPORT_SCHEMA, type Report } from '../report/schema.js';
import { assembleReport } from '../analyse/assemble-report.js';
import { ENV_CONFIG, decodeConfig } from '../transport/env.js';
import { RequestSender } from '../transport/requests.js';
import { readSpool } from '../transport/spool-reader.js';
import { isOwnSpool } from '../transport/spool-writer.js';
import { ENV_HTTP, ENV_TOKEN, parseHttpAddress } from './live-config.js';

export class LiveClientError extends Error {}

export interface ClientOptions {
  token?: string;
  timeoutMs: number;
}

/** `http://host:port`, `host:port` or `:port`, with or without a /debug/… path: the endpoint's origin. */
export function endpointOrigin(target: string): string {
  let text = target.trim();
  if (/^:?\d+$/.test(text)) text = `127.0.0.1:${text.replace(':', '')}`;
  if (!/^[a-z]+:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LiveClientError(`"${target}" is not a URL or a pid (expected http://host:port, host:port or a process id)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LiveClientError(`"${target}": only http:// and https:// endpoints`);
  return url.origin;
}

/** GET a path of the endpoint: the body, or one clear line for refused, 401, 404, 429 and timeouts. */
export async function fetchEndpoint(origin: string, path: string, options: ClientOptions): Promise<Buffer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let res;
  try {
    res = await request(`${origin}${path}`, { headers, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ECONNREFUSED') throw new LiveClientError(`${origin}: connection refused (is the process running, with LEAKPROF_HTTP or serve()?)`);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new LiveClientError(`${origin}${path}: no answer within ${options.timeoutMs} ms (--timeout)`);
    if (code === 'ENOTFOUND') throw new LiveClientError(`${origin}: no such host`);
    throw new LiveClientError(`${origin}${path}: ${code || (error as Error).message}`);
  }
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode === 200) return body;
  const said = body.toString('utf8').split('\n')[0]?.replace(/^leakprof: /, '').slice(0, 200) ?? '';
  if (res.statusCode === 401) throw new LiveClientError(`${origin}: unauthorized (401): pass the endpoint's token with --token or ${ENV_TOKEN}`);
  if (res.statusCode === 404) throw new LiveClientError(`${origin}${path}: not found (404)${said ? `: ${said}` : ': is this a leakprof endpoint?'}`);
  if (res.statusCode === 429) throw new LiveClientError(`${origin}${path}: busy with another costly request (429): try again`);
  throw new LiveClientError(`${origin}${path}: HTTP ${res.statusCode}${said ? `: ${said}` : ''}`);
}

/** The process's report now, from its endpoint. */
export async function fetchReport(origin: string, options: ClientOptions & { gc?: boolean }): Promise<Report> {
  const body = await fetchEndpoint(origin, `/debug/leakprof/report${options.gc ? '?gc=1' : ''}`, options);
  return parseReport(body, `${origin}/debug/leakprof/report`);
}

export function parseReport(body: Buffer, where: string): Report {
  let report: Report;
  try {
    report = JSON.parse(body.toString('utf8')) as Report;
  } catch {
    throw new LiveClientError(`${where}: the answer is not JSON (not a leakprof endpoint?)`);
  }
  if (report === null || typeof report !== 'object' || report.schema !== REPORT_SCHEMA || !Array.isArray(report.processes)) {
    throw new LiveClientError(`${where}: the answer is not a leakprof report (schema ${REPORT_SCHEMA})`);
  }
  return report;
}

/** What a pid offers: its endpoint (LEAKPROF_HTTP in its environment) or its `leakprof run` spool. */
export function targetOfPid(pid: number): { origin: string } | { spool: string } {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LiveClientError(code === 'ENOENT' ? `no process ${pid}` : `cannot read process ${pid}'s environment (${code}): attach to its URL instead`);
  }
  const env: Record<string, string> = {};
  for (const pair of environ.split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const http = env[ENV_HTTP];
  if (http) {
    const { host, port } = parseHttpAddress(http);
    if (port !== 0) return { origin: endpointOrigin(`${host && host !== '0.0.0.0' && host !== '[::]' ? host : '127.0.0.1'}:${port}`) };
  }
  const config = decodeConfig(env[ENV_CONFIG]);
  if (config) return { spool: config.spool };
  throw new LiveClientError(`process ${pid} is not under leakprof: start it with LEAKPROF_HTTP=127.0.0.1:6060 and --import leakprof/register, or with leakprof run`);
}

/** A report of one process under `leakprof run`, asked through its spool (no endpoint needed). */
export async function reportFromSpool(pid: number, spool: string, timeoutMs: number): Promise<Report> {
  if (!isOwnSpool(spool)) throw new LiveClientError(`process ${pid}'s leakprof spool ${spool} is gone or not yours`);
  const seqOf = () => {
    const entry = readSpool(spool).get(pid);
    return entry ? Math.max(0, ...entry.snapshots.map((s) => s.seq)) : -1;
  };
  const before = seqOf();
  if (before < 0) throw new LiveClientError(`process ${pid} has not said hello in its spool (a worker thread, or not a Node process?)`);
  new RequestSender(spool).send();
  const started = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entry = readSpool(spool).get(pid);
    const answer = entry?.snapshots.find((s) => s.seq > before && s.reason === 'request');
    if (entry && answer) {
      const proc = buildProcessReport({ ...entry, heapSnapshots: [] }, { cwd: entry.hello?.process.cwd ?? process.cwd(), snapshot: answer });
      if (!proc) break;
      const startedAt = entry.hello?.process.startedAt ?? Date.now();
      return assembleReport({
        command: entry.hello?.process.argv ?? [],
        cwd: entry.hello?.process.cwd ?? '',
        startedAt,
        durationMs: answer.time - startedAt,
        outcome: { kind: 'running', exitCode: null, signal: null },
        processes: [proc],
      });
    }
    if (Date.now() - started > timeoutMs) break;
  }
  throw new LiveClientError(`process ${pid} did not answer within ${timeoutMs} ms (blocked, or ended)`);
}
