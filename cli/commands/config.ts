// `portcullis config validate FILE` and `portcullis config schema`. Validation runs the exact pipeline
// the gateway runs at startup and on reload (including PORTCULLIS_* overrides and {env: NAME} secrets
// from this shell's environment), so "ok" here means the gateway will accept the file.
import type { Command } from 'commander';
import { CONFIG_SCHEMA, formatIssues, validateConfigFile } from '../../gateway/config/index.js';
import type { EnvMap } from '../../gateway/config/index.js';

/** Where a command writes; injectable so tests need not capture process streams. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: EnvMap;
}

const processIo = (): CommandIo => ({
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
});

/**
 * Validates `file`; returns the exit code (0 valid, 1 invalid).
 *
 * @example
 * process.exitCode = await runConfigValidate('portcullis.yaml');
 */
export async function runConfigValidate(file: string, io: CommandIo = processIo()): Promise<number> {
  const result = await validateConfigFile(file, { env: io.env });
  if (result.ok) {
    const routes = result.config.routes.length;
    const pools = Object.keys(result.config.pools).length;
    io.stdout(`${file}: ok (${routes} route${routes === 1 ? '' : 's'}, ${pools} pool${pools === 1 ? '' : 's'})\n`);
    return 0;
  }
  const n = result.issues.length;
  io.stderr(`${formatIssues(result.issues, file)}\n${file}: ${n} problem${n === 1 ? '' : 's'}\n`);
  return 1;
}

/** Prints the JSON Schema, e.g. for editor integration (yaml-language-server). */
export function runConfigSchema(io: CommandIo = processIo()): number {
  io.stdout(`${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);
  return 0;
}

/** Adds `config validate` and `config schema` to the CLI. Call before `program.parseAsync()`. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Work with portcullis.yaml');
  config
    .command('validate')
    .description('Check a config file (schema, references, files, env overrides) and report every problem with its line')
    .argument('<file>', 'path to portcullis.yaml')
    .action(async (file: string) => {
      process.exitCode = await runConfigValidate(file);
    });
  config
    .command('schema')
    .description('Print the JSON Schema of portcullis.yaml')
    .action(() => {
      process.exitCode = runConfigSchema();
    });
}
