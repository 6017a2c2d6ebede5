// Hot reload. Watches portcullis.yaml and every file it references (certificates, keys, CA bundles),
// reloads on change or SIGHUP, and hands over only configs that passed the same validation as
// startup. A rejected reload changes nothing: the gateway keeps serving the last good config.
//
// fs.watch alone is not trusted: editors and Kubernetes replace files by rename, which detaches an
// inode watch, and some filesystems (network mounts, overlay) deliver no events at all. So watches are
// re-armed after a rename and an mtime/size/inode poll runs as a fallback.
import { createHash } from 'node:crypto';
import { watch as fsWatch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { ConfigIssue } from './errors.js';
import { attemptLoad } from './load.js';
import type { EnvMap } from './resolve.js';
import type { GatewayConfig } from './types.js';

export interface ConfigWatcherOptions {
  /** A new, valid, different config. The gateway swaps to it; if this throws, the swap counts as failed. */
  onChange(config: GatewayConfig): void | Promise<void>;
  /** The file changed but is invalid; the previous config stays in force. Same issues as `config validate`. */
  onRejected(issues: ConfigIssue[]): void;
  /** `onChange` threw or rejected. Default: a process warning. */
  onError?(err: unknown): void;
  /** Quiet period after a file event before reloading, so multi-step saves load once. Default 200. */
  debounceMs?: number;
  /** Fallback poll interval. Default 1000. */
  pollMs?: number;
  /** Environment for overrides and {env: NAME} secrets, read at every reload. Default `process.env`. */
  env?: EnvMap;
}

export type ReloadOutcome =
  | { status: 'changed'; config: GatewayConfig }
  | { status: 'unchanged' }
  | { status: 'rejected'; issues: ConfigIssue[] }
  | { status: 'failed'; error: unknown }
  | { status: 'stopped' };

/**
 * @example
 * const config = await loadConfig(file);
 * const watcher = new ConfigWatcher(file, {
 *   onChange: (next) => gateway.swapConfig(next),
 *   onRejected: (issues) => log.error(formatIssues(issues, file)),
 * });
 * await watcher.start(config);
 * // ... on shutdown
 * watcher.stop();
 */
export class ConfigWatcher {
  private readonly path: string;
  private readonly opts: ConfigWatcherOptions;
  private currentConfig: GatewayConfig | undefined;
  private fingerprint: string | undefined;
  private files: string[] = [];
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly signatures = new Map<string, string>();
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private running = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onSighup = (): void => {
    void this.reload();
  };

  constructor(path: string, opts: ConfigWatcherOptions) {
    this.path = resolvePath(path);
    this.opts = opts;
  }

  /** The last config handed to (and accepted by) onChange, or the baseline. */
  get current(): GatewayConfig | undefined {
    return this.currentConfig;
  }

  /**
   * Loads the file to learn what to watch, then starts watching, polling and listening for SIGHUP.
   * Pass the config the gateway already runs on: onChange fires only if the file now differs from it.
   * Without one, a valid file becomes the baseline silently; an invalid one goes to onRejected.
   */
  async start(current?: GatewayConfig): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (current) {
      this.currentConfig = current;
      this.fingerprint = fingerprintOf(current);
    }
    process.on('SIGHUP', this.onSighup);
    await this.enqueue(!current);
    if (!this.running) return;
    this.pollTimer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
    this.pollTimer.unref();
  }

  /** Stops watching and removes the SIGHUP handler. A reload already running finishes without callbacks. */
  stop(): void {
    this.running = false;
    process.off('SIGHUP', this.onSighup);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Reloads now (after any reload already running). */
  reload(): Promise<ReloadOutcome> {
    return this.enqueue(false);
  }

  private enqueue(silentBaseline: boolean): Promise<ReloadOutcome> {
    // Never rejects: a throwing callback is reported through onError, and the queue keeps going.
    const next = this.queue.then(() => this.load(silentBaseline)).catch((error: unknown): ReloadOutcome => {
      (this.opts.onError ?? defaultOnError)(error);
      return { status: 'failed', error };
    });
    this.queue = next;
    return next;
  }

  private async load(silentBaseline: boolean): Promise<ReloadOutcome> {
    if (!this.running) return { status: 'stopped' };
    // Snapshot before reading, so a write racing with this load is seen by the next poll.
    await this.snapshot([this.path, ...this.files]);
    const attempt = await attemptLoad(this.path, { env: this.opts.env ?? process.env });
    if (!this.running) return { status: 'stopped' };
    if (attempt.files.length > 0 || attempt.config) this.files = attempt.files;
    await this.snapshot(this.files.filter((f) => !this.signatures.has(f)));
    this.armAll();

    if (!attempt.config) {
      this.opts.onRejected(attempt.issues);
      return { status: 'rejected', issues: attempt.issues };
    }
    const fingerprint = fingerprintOf(attempt.config);
    if (fingerprint === this.fingerprint) return { status: 'unchanged' };
    if (silentBaseline && this.currentConfig === undefined) {
      this.currentConfig = attempt.config;
      this.fingerprint = fingerprint;
      return { status: 'unchanged' };
    }
    try {
      await this.opts.onChange(attempt.config);
    } catch (error) {
      // Not recorded as current: the gateway did not take it, so the next reload offers it again.
      (this.opts.onError ?? defaultOnError)(error);
      return { status: 'failed', error };
    }
    this.currentConfig = attempt.config;
    this.fingerprint = fingerprint;
    return { status: 'changed', config: attempt.config };
  }

  private schedule(): void {
    if (!this.running) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.reload();
    }, this.opts.debounceMs ?? 200);
    this.debounceTimer.unref();
  }

  private armAll(): void {
    const wanted = new Set([this.path, ...this.files]);
    for (const [file, w] of this.watchers) {
      if (!wanted.has(file)) {
        w.close();
        this.watchers.delete(file);
      }
    }
    for (const file of wanted) this.arm(file);
  }

  private arm(file: string): void {
    if (!this.running || this.watchers.has(file)) return;
    let watcher: FSWatcher;
    try {
      watcher = fsWatch(file, { persistent: false }, (event) => {
        // A rename means the path now names another inode (or nothing): watch the new one.
        if (event === 'rename') this.disarm(file, true);
        this.schedule();
      });
    } catch {
      return; // Missing for now; the poll notices when it appears and re-arms.
    }
    watcher.on('error', () => {
      this.disarm(file, false);
      this.schedule();
    });
    this.watchers.set(file, watcher);
  }

  private disarm(file: string, rearm: boolean): void {
    this.watchers.get(file)?.close();
    this.watchers.delete(file);
    if (rearm) this.arm(file);
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.running) return;
    this.polling = true;
    try {
      let changed = false;
      for (const file of [this.path, ...this.files]) {
        const sig = await signatureOf(file);
        if (this.signatures.get(file) !== sig) {
          this.signatures.set(file, sig);
          changed = true;
        }
        if (sig !== 'missing') this.arm(file);
      }
      if (changed) this.schedule();
    } finally {
      this.polling = false;
    }
  }

  private async snapshot(files: string[]): Promise<void> {
    for (const file of files) this.signatures.set(file, await signatureOf(file));
  }
}

async function signatureOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

/** Includes the PEM text, so a rotated certificate counts as a change even if the YAML did not move. */
function fingerprintOf(config: GatewayConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

function defaultOnError(err: unknown): void {
  process.emitWarning(`portcullis: applying the reloaded config failed: ${err instanceof Error ? err.message : String(err)}`);
}
