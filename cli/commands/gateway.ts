// `portcullis gateway --config FILE`: run the gateway with hot reload and graceful shutdown.
import type { Command } from 'commander';
import { runGateway } from '../run-gateway.js';

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('Run the gateway (data port + admin port) from a config file; reloads on SIGHUP and file change.')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml', process.env.PORTCULLIS_CONFIG)
    .action(async (opts: { config: string }) => {
      await runGateway(opts.config);
    });
}
