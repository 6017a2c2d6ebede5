// Keeps the gateway's in-memory revocation list in step with the PKI directory, polling on a timer so
// the request path only ever does a Set lookup. A revoked serial takes effect within one poll
// interval, on new and already open connections alike. Failures keep the last good list (fail closed:
// a corrupt or unreadable index never empties it).
import type { Logger } from 'pino';
import { PkiError, RevocationSource } from '../pki/index.js';

export class RevocationWatcher {
  private readonly source: RevocationSource;
  private timer: NodeJS.Timeout | undefined;
  private lastErrorCode: string | undefined;

  constructor(
    dir: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.source = new RevocationSource(dir);
  }

  get serials(): ReadonlySet<string> {
    return this.source.serials;
  }

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      const changed = await this.source.refresh();
      if (changed) this.logger.info({ revoked: this.source.serials.size }, 'revocation list updated');
      this.lastErrorCode = undefined;
    } catch (err) {
      const code = err instanceof PkiError ? err.code : 'PCL_PKI_IO';
      // Log each distinct problem once rather than every second.
      if (code !== this.lastErrorCode) {
        const level = code === 'PCL_PKI_NOT_FOUND' ? 'warn' : 'error';
        this.logger[level]({ code, dir: this.source.dir, revoked: this.source.serials.size }, 'revocation list not refreshed; keeping the last good list');
        this.lastErrorCode = code;
      }
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
