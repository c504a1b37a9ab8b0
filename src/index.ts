/** leakprof's library API: what the CLI is a thin layer over. */
export { parseDuration, formatDuration } from './util/duration.js';
export { parseBytes, formatBytes } from './util/bytes.js';
