// The `portcullis` command. Each command family lives in cli/commands/ and registers itself here.
import { Command } from 'commander';
import { registerPkiCommands } from './commands/pki.js';
import { registerConfigCommands } from './commands/config.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerDevCommand } from './commands/dev.js';
import { registerPolicyCommands } from './commands/policy.js';

const program = new Command();
program
  .name('portcullis')
  .description('Security gateway: TLS/mTLS edge, routing and proxy, PKI, policy, KMS and audit.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerDevCommand(program);
registerGatewayCommand(program);
registerConfigCommands(program);
registerPkiCommands(program);
registerPolicyCommands(program);

await program.parseAsync(process.argv);
