// Shared by `portcullis gateway` and `portcullis dev`: load the config, start the gateway, keep it in
// step with the file (SIGHUP / file change), and shut down gracefully on SIGINT or SIGTERM.
import { ConfigWatcher, formatIssues, loadConfig, ConfigError } from '../gateway/config/index.js';
import { createLogger, startGateway, type RunningGateway } from '../gateway/index.js';

export interface GatewayProcess {
  gateway: RunningGateway;
  stop(): Promise<void>;
}

export async function runGateway(configPath: string, opts: { onStop?: () => Promise<void> } = {}): Promise<GatewayProcess | undefined> {
  let config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(formatIssues(err.issues, configPath) + '\n');
      process.exitCode = 1;
      return undefined;
    }
    throw err;
  }
  const logger = createLogger(config);
  const gateway = await startGateway(config, { logger });
  const watcher = new ConfigWatcher(configPath, {
    onChange: (next) => {
      gateway.reload(next).then(
        (r) => {
          if (r.restartNeeded.length > 0) logger.warn({ restartNeeded: r.restartNeeded }, 'some changes take effect only after a restart');
        },
        (err: unknown) => logger.error({ err }, 'config reload failed; the previous config keeps serving'),
      );
    },
    onRejected: (issues) => {
      gateway.metrics.configReloads.inc({ result: 'rejected' });
      logger.error({ issues: issues.map((i) => ({ path: i.path, line: i.line, message: i.message })) }, 'config change rejected; the previous config keeps serving');
      process.stderr.write(formatIssues(issues, configPath) + '\n');
    },
  });
  // The config just loaded is the baseline, so a change made between the two reads is not missed.
  await watcher.start(config);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      watcher.stop();
      await gateway.close();
      if (opts.onStop !== undefined) await opts.onStop();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { gateway, stop };
}
