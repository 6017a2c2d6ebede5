// Shared bits of the peer processes: read files named on the command line and shut down on signals.

/** On SIGTERM/SIGINT run `close` (bounded) and exit; the parent escalates to SIGKILL if we hang. */
export function exitOnSignals(close: () => Promise<void>): void {
  const onSignal = (): void => {
    // A peer that cannot close cleanly within a second is killed anyway; don't make the bench wait.
    const timer = setTimeout(() => process.exit(0), 1000);
    timer.unref();
    close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** Returns the value of a required `--name value` option, or exits with a usage error. */
export function requireOpt(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') {
    process.stderr.write(`missing --${name}\n`);
    process.exit(2);
  }
  return v;
}
