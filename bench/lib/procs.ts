// Child-process plumbing for the benches: every server and load generator runs as its own process so
// `taskset` can pin it to a core, and every child is tracked here so that a normal finish, an error or
// Ctrl-C all leave nothing running behind us.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Repository root: children run from here so `node --import tsx` resolves tsx from our node_modules. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const live = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];
let exitHooksInstalled = false;

/** Synchronous last-resort cleanup (runs from the 'exit' hook too, where nothing async may happen). */
function killAllNow(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // Cleanup on the way out must never mask the real exit reason.
    }
  }
}

/**
 * Installs the exit/SIGINT/SIGTERM hooks once. On a signal we kill the children and exit with the
 * conventional 128+n status, because a half-finished bench has no result worth printing.
 */
export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllNow);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children\n`);
      killAllNow();
      process.exit(code);
    });
  }
}

/** Registers a synchronous cleanup (e.g. removing the temp dir) that also runs on SIGINT. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

/** Runs registered cleanups now (normal end of a bench) instead of waiting for process exit. */
export function runCleanups(): void {
  killAllNow();
}

let pinningChecked: boolean | undefined;

/**
 * True when `taskset` exists and both core 0 and core 1 are usable. Checked by actually pinning a
 * trivial command, since a missing binary, a one-core box and a restricted cpuset all look the same
 * to the caller: "cannot pin".
 */
export function canPin(): boolean {
  if (pinningChecked === undefined) {
    const ok = (cpu: string): boolean => spawnSync('taskset', ['-c', cpu, 'true'], { stdio: 'ignore' }).status === 0;
    pinningChecked = ok('0') && ok('1');
  }
  return pinningChecked;
}

/** True when `cmd` can be executed (found on PATH and runs). */
export function hasCommand(cmd: string, versionArgs: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, versionArgs, { stdio: 'ignore' });
  return r.error === undefined;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Last stderr/stdout lines, for error messages when a child dies. */
  tail(): string;
  /** Resolves with the first stdout line matching `re` (or rejects if the child exits first / times out). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the child has exited; gives its exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `cmd args`, pinned to `cpu` with taskset when `pin` is true. stdout and stderr are always
 * drained (a full pipe would stall the child mid-benchmark) and the tail is kept for diagnostics.
 */
export function spawnChild(cmd: string, args: string[], opts: { cpu: number; pin: boolean; env?: NodeJS.ProcessEnv }): Spawned {
  installExitHooks();
  const [file, argv] = opts.pin ? ['taskset', ['-c', String(opts.cpu), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  const tailLines: string[] = [];
  const remember = (line: string): void => {
    if (line.trim() === '') return;
    tailLines.push(line);
    if (tailLines.length > 40) tailLines.shift();
  };
  const lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];

  const splitLines = (onLine: (l: string) => void): ((chunk: Buffer) => void) => {
    let buf = '';
    return (chunk) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      // A child that spews without newlines must not grow our memory without bound.
      if (buf.length > 64 * 1024) buf = buf.slice(-1024);
    };
  };

  child.stdout?.on(
    'data',
    splitLines((line) => {
      remember(line);
      for (let i = 0; i < lineWaiters.length; i++) {
        const w = lineWaiters[i];
        const m = w?.re.exec(line);
        if (w && m) {
          lineWaiters.splice(i, 1);
          i--;
          w.resolve(m);
        }
      }
    }),
  );
  child.stderr?.on('data', splitLines(remember));

  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    child.on('error', (err) => {
      live.delete(child);
      remember(`spawn error: ${err.message}`);
      resolve(null);
    });
  });

  const tail = (): string => tailLines.slice(-8).join('\n');

  return {
    child,
    pid: child.pid ?? -1,
    tail,
    exited,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; last output:\n${tail()}`)), timeoutMs);
        lineWaiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited with code ${code} before printing ${re}; last output:\n${tail() || '(none)'}`));
        });
      });
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a TCP port until it accepts connections; for children (HAProxy) that print no ready line. */
export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('process exited before listening');
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
}

const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * CPU seconds (user+system) used so far by `pid`, from /proc. Used to show whether the proxy's core
 * was actually saturated: a proxy at 50% CPU means the row was limited by something else (upstream or
 * load generator on core 0), which changes how to read its ratio. Undefined off Linux.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after the last ')' are safe.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * A currently free loopback port, for servers whose config may not say "port 0" (Portcullis, HAProxy).
 * Racy in principle (someone could take it before the child binds); on a bench box that is acceptable.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Busy seconds (everything but idle and iowait) of one core so far, from /proc/stat. */
function coreBusySeconds(cpu: number): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    if (line === undefined) return undefined;
    // user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
    return Number.isFinite(busy) ? busy / CLK_TCK : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuWatch {
  pids: number[];
  cores: number[];
}

export interface CpuSnapshot {
  pids: Map<number, number | undefined>;
  cores: Map<number, number | undefined>;
}

/** CPU seconds used so far by each watched process and each watched core. */
export function cpuSnapshot(w: CpuWatch): CpuSnapshot {
  return {
    pids: new Map(w.pids.map((p) => [p, cpuSeconds(p)])),
    cores: new Map(w.cores.map((c) => [c, coreBusySeconds(c)])),
  };
}

export interface CpuDelta {
  /** CPU seconds used by each process between the snapshots. */
  pidSec: Map<number, number>;
  /** Busy seconds of each core between the snapshots, whoever used them. */
  coreSec: Map<number, number>;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuDelta {
  const diff = (a: Map<number, number | undefined>, b: Map<number, number | undefined>): Map<number, number> => {
    const out = new Map<number, number>();
    for (const [k, v0] of a) {
      const v1 = b.get(k);
      if (v0 !== undefined && v1 !== undefined) out.set(k, v1 - v0);
    }
    return out;
  };
  return { pidSec: diff(before.pids, after.pids), coreSec: diff(before.cores, after.cores) };
}
