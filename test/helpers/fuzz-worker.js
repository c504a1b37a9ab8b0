// Runs one reader over seeded mutants in a worker thread, so that the test can end a reader that
// hangs (terminate) instead of hanging itself. Posts {progress} after every case and {done} at the
// end, with every mutant that did not give a clean result: success, or an error of the reader's
// own kinds whose message is one line. workerData: { reader, seed, cases, inputs, dir }.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { gunzipSync, gzipSync } from 'node:zlib';
import { findHeapLeaks } from '../../dist/analyse/heap/leak-set.js';
import { plain } from '../../dist/report/colors.js';
import { reportToPprof } from '../../dist/report/pprof.js';
import { renderTop, renderTraces, topTable } from '../../dist/report/pprof-text.js';
import { parseReportOrProfile } from '../../dist/report/read-input.js';
import { diffReports, renderReportDiff } from '../../dist/report/report-diff.js';
import { renderReport } from '../../dist/report/text-report.js';
import { mutate, rng } from './mutate.js';

const { reader, seed, cases, inputs, dir } = workerData;
const originals = inputs.map((file) => ({ file, bytes: readFileSync(file) }));

/** The reader's own clean failures: errors it means to throw, with a one-line message. */
const CLEAN = new Set(['Error', 'ProfileFormatError', 'ReportShapeError', 'InputFileError', 'SnapshotOrderError']);

async function readReport(bytes) {
  const input = parseReportOrProfile(bytes, { maxInflated: 64 * 2 ** 20 });
  if (input.kind === 'report') {
    renderReport(input.report, { debug: 2, internals: true, summary: true, colors: plain });
    reportToPprof(input.report);
    renderReportDiff(diffReports(input.report, input.report), { internals: true, colors: plain });
  } else {
    topTable(input.data);
    renderTop(input.data);
    renderTraces(input.data);
  }
}

async function readHeap(bytes, which, r) {
  // The three snapshots of one process, one of them the mutant.
  const files = originals.map((o, i) => join(dir, `${i}.heapsnapshot`));
  originals.forEach((o, i) => writeFileSync(files[i], i === which ? bytes : o.bytes));
  await findHeapLeaks(files.map((file) => ({ file, label: file })), { top: 1 + Math.floor(r() * 5) });
}

const failures = [];
for (let i = 0; i < cases; i++) {
  const r = rng(seed + i);
  const which = Math.floor(r() * originals.length);
  const original = originals[which];
  const donor = originals[Math.floor(r() * originals.length)].bytes;
  const gz = original.bytes[0] === 0x1f && original.bytes[1] === 0x8b;
  const json = !gz && original.bytes[0] === 0x7b;
  let bytes;
  let how;
  if (gz && r() < 0.5) {
    // Inside the gzip: what decodes, mutated, gzipped again.
    ({ bytes, how } = mutate(gunzipSync(original.bytes), r));
    bytes = gzipSync(bytes);
    how = `inside the gzip: ${how}`;
  } else {
    ({ bytes, how } = mutate(original.bytes, r, { json, donor }));
  }
  const started = Date.now();
  try {
    if (reader === 'heap') await readHeap(bytes, which, r);
    else await readReport(bytes);
  } catch (error) {
    const name = error?.constructor?.name ?? typeof error;
    const message = String(error?.message ?? error);
    if (!CLEAN.has(name) || message.includes('\n') || message.length > 600 || message === '') {
      failures.push({ case: seed + i, input: original.file, how, name, message: message.slice(0, 300), stack: String(error?.stack ?? '').split('\n').slice(0, 4).join('\n') });
    }
  }
  parentPort.postMessage({ progress: i + 1, ms: Date.now() - started });
}
parentPort.postMessage({ done: true, failures });
