/**
 * An error that ends leakprof with one line and an exit code of its own: 2 for usage (a bad flag,
 * a file that is not what it should be), otherwise what the failure means. Thrown anywhere below
 * the commands; the CLI prints its message alone (no stack) and exits with its code.
 */
export class WorkloadError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
