// A real service with leakprof's live endpoint, started as a user would:
// LEAKPROF_HTTP=127.0.0.1:0 node --import leakprof/register fixtures/live/<file>.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './leakprof.js';

export const REGISTER = pathToFileURL(join(ROOT, 'dist', 'check', 'register.js')).href;

/**
 * Starts `fixtures/live/<file>` with the endpoint; resolves once both the app's URL (its stdout)
 * and the endpoint's (leakprof's line on stderr, port 0) are known.
 */
export async function startLive(file, { env = {}, http = '127.0.0.1:0' } = {}) {
  const childEnv = { ...process.env, LEAKPROF_HTTP: http, ...env };
  for (const name of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'LEAKPROF_CONFIG']) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', REGISTER, join(ROOT, 'fixtures', 'live', file)], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const ready = new Promise((resolve, reject) => {
    const look = () => {
      const app = /app (\S+) pid (\d+)/.exec(stderr);
      const endpoint = /pprof endpoint at (\S+)\/debug\/pprof\//.exec(stderr);
      if (app && endpoint) resolve({ app: app[1], pid: Number(app[2]), endpoint: endpoint[1] });
    };
    child.stdout.setEncoding('utf8').on('data', (d) => ((stdout += d), look()));
    child.stderr.setEncoding('utf8').on('data', (d) => ((stderr += d), look()));
    child.on('exit', (code) => reject(new Error(`the service exited (${code}) before it was ready:\n${stderr}`)));
  });
  const info = await ready;
  return {
    ...info,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** GET a URL with fetch (undici): status, headers, body bytes. */
export async function get(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** `go` on PATH, or undefined (interop tests skip then, saying why). */
export const GO = (() => {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? 'go' : undefined;
})();
export const NO_GO = GO ? false : 'go is not installed (apt-get install golang-go; .ci/run does it when it runs as root)';

// go tool pprof saves every profile it fetches: into a folder of the test's, not ~/pprof.
const PPROF_TMP = mkdtempSync(join(tmpdir(), 'leakprof-pprof-'));

/** `go tool pprof <args>`: its stdout; throws with its stderr when it fails. */
export function goPprof(args) {
  const r = spawnSync('go', ['tool', 'pprof', ...args], { encoding: 'utf8', env: { ...process.env, PPROF_TMPDIR: PPROF_TMP } });
  if (r.status !== 0) throw new Error(`go tool pprof ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
