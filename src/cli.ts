/** The command line: a thin layer of commander over the library. One module per command under commands/. */
import { Command, CommanderError } from 'commander';
import { attachCommand } from './commands/attach.js';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { heapCommand } from './commands/heap.js';
import { loadCommand } from './commands/load.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { topCommand } from './commands/top.js';
import { WorkloadError } from './util/errors.js';
import { toolVersion } from './util/version.js';

export function buildProgram(): Command {
  const program = new Command('leakprof')
    .description('Find leaks in Node.js programs: live handles, timers and parked async work, grouped by the stack that created them.')
    .version(toolVersion(), '-v, --version')
    .option('--verbose', "print leakprof's own stack traces on errors")
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(runCommand());
  program.addCommand(checkCommand());
  program.addCommand(demoCommand());
  program.addCommand(heapCommand());
  program.addCommand(loadCommand());
  program.addCommand(reportCommand());
  program.addCommand(attachCommand());
  program.addCommand(topCommand());
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number | undefined> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its one-line message; help and version are not errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof WorkloadError) {
      process.stderr.write(`leakprof: ${error.message}\n`);
      if (program.opts().verbose) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
