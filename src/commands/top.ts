/**
 * `leakprof top <url>`: a terminal view of a running process, refreshed every interval — the
 * groups whose counts grow fastest, their rate, memory. q or Ctrl-C quits (the terminal as it
 * was); when stdout is not a terminal, one block of plain lines per look.
 */
import { Command } from 'commander';
import { WorkloadError } from '../util/errors.js';
import { DurationError, formatDuration, parseDurationOption } from '../util/duration.js';
import { ENV_TOKEN } from '../live/live-config.js';
import { endpointOrigin, fetchReport, LiveClientError, targetOfPid } from '../live/live-client.js';
import { GrowthView } from '../live/growth-view.js';
import { positiveInt } from './options.js';

interface Flags {
  every: string;
  token?: string;
  timeout: string;
  rows: string;
  count?: string;
}

export function topCommand(): Command {
  const cmd = new Command('top')
    .summary('watch a running process: the groups that grow fastest, refreshed every interval')
    .description(
      "Asks a process's live endpoint for its report every interval and shows the groups whose counts grow fastest\n" +
        '(count, change since the last look, rate per second since the first), and its memory. q or Ctrl-C quits.',
    )
    .argument('<target>', 'http://host:port of the endpoint (or host:port, :port, or the pid of a process with LEAKPROF_HTTP)')
    .option('--every <duration>', 'how often to look', '2s')
    .option('--rows <n>', 'groups shown', '15')
    .option('--count <n>', 'stop after this many looks (default: until q or Ctrl-C)')
    .option('--token <token>', `the endpoint's bearer token (default: $${ENV_TOKEN})`)
    .option('--timeout <duration>', 'give up on one answer after this long', '10s');
  cmd.addHelpText('after', '\nExample:\n  $ leakprof top http://127.0.0.1:6060 --every 2s\n\nExit code: 0 when quit; 2 when the endpoint cannot be reached (one line says why).');
  cmd.action(async (target: string, flags: Flags) => {
    let everyMs: number;
    let timeoutMs: number;
    try {
      everyMs = parseDurationOption(flags.every, '--every', { positive: true });
      timeoutMs = parseDurationOption(flags.timeout, '--timeout', { positive: true });
    } catch (error) {
      throw new WorkloadError((error as DurationError).message, 2);
    }
    const rows = positiveInt(flags.rows, '--rows');
    const count = flags.count === undefined ? Infinity : positiveInt(flags.count, '--count');
    let origin: string;
    try {
      const where = /^\d+$/.test(target.trim()) ? targetOfPid(Number(target)) : { origin: endpointOrigin(target) };
      if (!('origin' in where)) throw new LiveClientError(`process ${target} has no live endpoint: top needs LEAKPROF_HTTP (attach ${target} asks it once through leakprof run)`);
      origin = where.origin;
    } catch (error) {
      if (error instanceof LiveClientError) throw new WorkloadError(error.message, 2);
      throw error;
    }
    await watch(origin, { everyMs, timeoutMs, rows, count, token: flags.token ?? process.env[ENV_TOKEN] });
  });
  return cmd;
}

async function watch(origin: string, o: { everyMs: number; timeoutMs: number; rows: number; count: number; token?: string }): Promise<void> {
  const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const view = new GrowthView();
  let quit = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    quit = true;
    wake?.();
  };
  const onKey = (data: Buffer): void => {
    const key = data.toString('utf8');
    if (key === 'q' || key === 'Q' || key === '\u0003') stop();
  };
  if (tty) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', onKey);
    process.stdout.write('\x1b[?25l');
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const started = Date.now();
  try {
    for (let look = 0; look < o.count && !quit; look++) {
      let report;
      try {
        report = await fetchReport(origin, { token: o.token, timeoutMs: o.timeoutMs });
      } catch (error) {
        // The first look failing is bad input; a later one is the process going away.
        if (error instanceof LiveClientError) {
          if (look === 0) throw new WorkloadError(error.message, 2);
          if (tty) process.stdout.write('\x1b[H\x1b[2J');
          process.stdout.write(`leakprof top: ${error.message}\n`);
          return;
        }
        throw error;
      }
      view.add(report, Date.now());
      const head = `leakprof top ${origin} — pid ${view.pid}, every ${formatDuration(o.everyMs)}, watching ${formatDuration(Date.now() - started)}${tty ? ' (q quits)' : ''}`;
      const body = [head, view.memory, '', ...view.lines(o.rows)].join('\n');
      process.stdout.write(tty ? `\x1b[H\x1b[2J${body}\n` : `${body}\n\n`);
      if (look + 1 >= o.count || quit) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    if (tty) {
      process.stdin.removeListener('data', onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdout.write('\x1b[?25h');
    }
  }
}
