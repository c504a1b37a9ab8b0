/** The `--http` load mode's receiving end: `POST /api/v1/import` with Prometheus text lines, pushed into a callback. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePromText } from './prom-text.js';
import type { Series } from './labels.js';

export interface ImportServer {
  origin: string;
  close(): Promise<void>;
}

export async function startImportServer(onSeries: (series: Series[]) => void): Promise<ImportServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/import') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only POST /api/v1/import\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        onSeries(parsePromText(Buffer.concat(chunks).toString('utf8'), Date.now()));
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
