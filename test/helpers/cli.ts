// Runs the real `portcullis` command (bin/portcullis.js) as a child process, the way operators do.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/portcullis.js', import.meta.url));

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the output so far once it matches `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) {
            cleanup();
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`));
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(new Error(`process exited before ${pattern}; output:\n${out}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', onExit);
        };
        listeners.add(check);
        child.once('close', onExit);
        check();
      });
    },
  };
}

/** Run a command to completion. */
export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; output: string }> {
  const p = spawnCli(args, opts);
  const code = await p.exited;
  return { code, output: p.output() };
}

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as import('node:net').AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Poll `fn` until it returns true (or a truthy value), up to `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000, stepMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface FamilyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command family (e.g. cli/commands/pki.ts's registerPkiCommands) as a real child process,
 * in a program with nothing else registered, so a suite tests only its own commands.
 */
export function commandFamily(commandsFile: string, registerName: string, cwd: () => string): (...args: string[]) => Promise<FamilyRun> {
  const require = createRequire(import.meta.url);
  const commandsModule = pathToFileURL(fileURLToPath(new URL(`../../cli/commands/${commandsFile}`, import.meta.url))).href;
  const program = `
const { Command } = await import(${JSON.stringify(pathToFileURL(require.resolve('commander')).href)});
const { ${registerName} } = await import(${JSON.stringify(commandsModule)});
const program = new Command('portcullis');
${registerName}(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return (...args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', program, '--', ...args], { cwd: cwd() });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}
