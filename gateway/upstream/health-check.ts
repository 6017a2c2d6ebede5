// Active health checks: every intervalMs, GET the check path on each target. Checks use their own
// single-connection client per target so that a pool saturated by real traffic cannot delay a check
// into a false "unhealthy", and so a check measures whether a fresh connection works.
import { Client } from 'undici';
import type { HealthCheckConfig } from '../config/types.js';
import type { ConnectOptions } from './pool.js';
import type { Target } from './target.js';

const CHECK_HEADERS = { 'user-agent': 'portcullis-health-check' } as const;

/** 2xx and 3xx count as healthy: a redirect still proves the process is up and routing. */
export function isHealthyStatus(status: number): boolean {
  return status >= 200 && status < 400;
}

export class ActiveHealthChecker {
  private readonly clients: Client[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly targets: readonly Target[],
    private readonly config: HealthCheckConfig,
    connect: ConnectOptions,
  ) {
    const clientConnect = { ...connect, timeout: Math.min(connect.timeout, config.timeoutMs) };
    this.clients = targets.map(
      (t) => new Client(t.url, { connect: clientConnect, keepAliveTimeout: Math.max(config.intervalMs * 2, 1000), pipelining: 1 }),
    );
  }

  /** Run a first round right away, then one every intervalMs after the previous round finished. */
  start(): void {
    if (this.stopped || this.running !== undefined) return;
    this.runRound();
  }

  /** @internal */
  runRound(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = this.round().then(() => this.scheduleNext());
  }

  /** @internal */
  scheduleNext(): void {
    this.running = undefined;
    if (this.stopped) return;
    this.timer = setTimeout(runRound, this.config.intervalMs, this);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled(this.clients.map((c) => c.destroy()));
    await this.running;
  }

  private async round(): Promise<void> {
    const results = await Promise.all(this.clients.map((c) => this.check(c)));
    if (this.stopped) return;
    for (let i = 0; i < results.length; i++) {
      (this.targets[i] as Target).recordCheck(results[i] === true, this.config.healthyThreshold, this.config.unhealthyThreshold);
    }
  }

  private async check(client: Client): Promise<boolean> {
    const { path, timeoutMs } = this.config;
    try {
      const res = await client.request({
        method: 'GET',
        path,
        headers: CHECK_HEADERS,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        // Covers connect + headers + body as one budget; undici's own timeouts are per phase.
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return isHealthyStatus(res.statusCode);
    } catch {
      return false;
    }
  }
}

function runRound(checker: ActiveHealthChecker): void {
  checker.runRound();
}
