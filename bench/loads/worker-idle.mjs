// A worker that says it is up and then waits (kept alive by its interval) until terminated.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage('up');
setInterval(() => {}, 1000);
