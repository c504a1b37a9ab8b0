// Bench load for heap-vs-memlab: builds one heap shape in three steps and writes a heap snapshot
// after each (baseline, target, final), the way memlab's three-snapshot leak set expects them.
//   node heap-shapes.mjs <chain|map|mix> <size> <out dir>
// chain: a linked list growing to <size> nodes (a quarter, five eighths, all of it at the snapshots).
// map:   one Map of <size> sessions, growing the same way: wide, shallow, big.
// mix:   an HTTP service (node:http server, fetch clients in the same process) that caches a session
//        per login and never evicts it, beside what a service also keeps and churns (a page cache
//        with eviction, per-request objects, timers): <size> logins in all.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const [shape, sizeArg, outDir] = process.argv.slice(2);
const size = Number(sizeArg);
const steps = [Math.round(size / 4), Math.round((size * 5) / 8), size];
const files = [];
const snapshot = (label) => files.push(writeHeapSnapshot(join(outDir, `${shape}-${size}-${label}.heapsnapshot`)));
const labels = ['1-baseline', '2-target', '3-final'];

class ChainNode {
  constructor(seq, prev) {
    this.seq = seq;
    this.payload = { seq, label: `job ${seq}` };
    this.next = null;
    if (prev) prev.next = this;
  }
}

class Session {
  constructor(id, user) {
    this.id = id;
    this.user = user;
    this.createdAt = new Date(1_700_000_000_000 + id);
    this.token = `tok-${id.toString(36)}-${(id * 2654435761) % 4294967296}`;
    this.recent = [];
  }
}

if (shape === 'chain') {
  const list = { head: new ChainNode(0, null), tail: null };
  list.tail = list.head;
  let n = 1;
  for (const [k, upTo] of steps.entries()) {
    for (; n < upTo; n++) list.tail = new ChainNode(n, list.tail);
    snapshot(labels[k]);
  }
  globalThis.keep = list;
} else if (shape === 'map') {
  const sessions = new Map();
  let n = 0;
  for (const [k, upTo] of steps.entries()) {
    for (; n < upTo; n++) sessions.set(`sess-${n}`, new Session(n, { name: `user${n % 5000}`, roles: ['reader'] }));
    snapshot(labels[k]);
  }
  globalThis.keep = sessions;
} else if (shape === 'mix') {
  const sessions = new Map(); // the leak: a session per login, never evicted
  const pages = new Map(); // kept bounded: the 200 most recent pages
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/login') {
      const id = Number(url.searchParams.get('id'));
      const session = new Session(id, { name: `user${id % 5000}`, roles: ['reader', id % 7 === 0 ? 'admin' : 'user'] });
      sessions.set(session.token, session);
      res.setHeader('set-cookie', `sid=${session.token}`);
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    const page = `<html><body>${url.pathname} ${'x'.repeat(200)}</body></html>`;
    pages.set(url.pathname, page);
    if (pages.size > 200) pages.delete(pages.keys().next().value);
    const timer = setTimeout(() => {}, 5);
    res.on('finish', () => clearTimeout(timer));
    res.end(page);
  });
  // Idle keep-alive sockets stay open for the whole run: a socket the server closes while fetch reuses it is an ECONNRESET on a loaded machine.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  let n = 0;
  for (const [k, upTo] of steps.entries()) {
    while (n < upTo) {
      const batch = [];
      for (let j = 0; j < 20 && n < upTo; j++, n++) {
        batch.push(fetch(`${base}/login?id=${n}`).then((r) => r.text()));
        batch.push(fetch(`${base}/page/${n % 1000}`).then((r) => r.text()));
      }
      await Promise.all(batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    snapshot(labels[k]);
  }
  server.closeAllConnections?.();
  server.close();
} else {
  throw new Error(`unknown shape ${shape}: chain, map or mix`);
}
process.stdout.write(`${JSON.stringify(files)}\n`);
