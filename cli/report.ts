// How every `portcullis` command reports: results on stdout, failures as `error <CODE>: <message>` on
// stderr with a failing exit code, never a stack trace. Commands never call process.exit, so callers
// can clean up.

/** An error of ours: a stable PCL_ code and a message that says what to do next. */
function isCodedError(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('PCL_');
}

/**
 * Print one failure. `details` may add lines (e.g. every located issue of a load error).
 *
 * @example
 * reportError(err, (e) => (e instanceof PolicyLoadError ? e.issues.map(formatIssue) : []));
 */
export function reportError(err: unknown, details?: (err: unknown) => readonly string[]): void {
  if (isCodedError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    for (const line of details?.(err) ?? []) process.stderr.write(`${line}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error PCL_CLI_UNEXPECTED: ${message.split('\n')[0] ?? ''}\n`);
  }
  process.exitCode = 1;
}

/** Wrap a command action so any failure is reported, not thrown. */
export function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>, details?: (err: unknown) => readonly string[]): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err, details);
    }
  };
}

/** One line of normal output. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
