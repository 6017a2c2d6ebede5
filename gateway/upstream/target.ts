// One upstream target: its keep-alive connection pool and the two health signals that decide whether
// it takes traffic. Active checks flip `activeHealthy` after threshold streaks; passive ejection takes
// it out for an exponentially growing time after consecutive request failures. A target is
// `available` only when both agree, and every change of `available` is reported to the observer.
import { Pool } from 'undici';
import type { PassiveHealthConfig, TargetConfig } from '../config/types.js';
import type { PoolObserver } from '../metrics.js';
import type { WeightedCandidate } from './balancer.js';

export interface TargetOptions {
  poolName: string;
  passive: PassiveHealthConfig;
  observer: PoolObserver;
  /** undici Pool options shared by every target of the pool (connections, keep-alive, TLS, timeouts). */
  dispatcher: Pool.Options;
}

export class Target implements WeightedCandidate {
  readonly url: string;
  readonly weight: number;
  readonly dispatcher: Pool;
  current = 0;
  available = true;
  /** Requests sent to this target whose response has not finished streaming. */
  inFlight = 0;

  private activeHealthy = true;
  private activeOk = 0;
  private activeFail = 0;

  private passiveFailures = 0;
  private ejections = 0;
  private ejected = false;
  private ejectedUntilMs = 0;
  private lastDecayMs = 0;
  private ejectTimer: NodeJS.Timeout | undefined;

  private readonly poolName: string;
  private readonly passive: PassiveHealthConfig;
  private readonly observer: PoolObserver;

  constructor(config: TargetConfig, options: TargetOptions) {
    this.url = config.url;
    this.weight = config.weight;
    this.poolName = options.poolName;
    this.passive = options.passive;
    this.observer = options.observer;
    this.dispatcher = new Pool(config.url, options.dispatcher);
  }

  /** Epoch ms until which the target is passively ejected, or undefined when it is not. */
  get ejectedUntil(): number | undefined {
    return this.ejected ? this.ejectedUntilMs : undefined;
  }

  /** A request to this target got a response below 500. */
  recordSuccess(): void {
    this.passiveFailures = 0;
    if (this.ejections > 0 && !this.ejected) {
      // Forget one past ejection per base interval of good service, so a target that flapped long ago
      // is not punished with the maximum ejection the next time it fails.
      const now = Date.now();
      if (now - this.lastDecayMs >= this.passive.baseEjectionMs) {
        this.ejections--;
        this.lastDecayMs = now;
      }
    }
  }

  /** A request to this target failed: connection error, timeout, or a 5xx answer. */
  recordFailure(): void {
    if (this.ejected) return;
    if (++this.passiveFailures < this.passive.consecutiveFailures) return;
    this.passiveFailures = 0;
    this.ejections++;
    const backoff = this.passive.baseEjectionMs * 2 ** (this.ejections - 1);
    const duration = Math.min(backoff, this.passive.maxEjectionMs);
    this.ejected = true;
    this.ejectedUntilMs = Date.now() + duration;
    this.ejectTimer = setTimeout(endEjection, duration, this);
    this.ejectTimer.unref();
    this.refresh();
  }

  /** @internal called by the ejection timer. */
  readmit(): void {
    this.ejectTimer = undefined;
    this.ejected = false;
    this.lastDecayMs = Date.now();
    this.refresh();
  }

  /** Feed one active health check result. */
  recordCheck(ok: boolean, healthyThreshold: number, unhealthyThreshold: number): void {
    if (ok) {
      this.activeFail = 0;
      this.activeOk++;
      if (!this.activeHealthy && this.activeOk >= healthyThreshold) this.activeHealthy = true;
    } else {
      this.activeOk = 0;
      this.activeFail++;
      if (this.activeHealthy && this.activeFail >= unhealthyThreshold) this.activeHealthy = false;
    }
    this.refresh();
  }

  /** Stop timers; the dispatcher is closed by the pool. */
  dispose(): void {
    if (this.ejectTimer !== undefined) clearTimeout(this.ejectTimer);
    this.ejectTimer = undefined;
  }

  private refresh(): void {
    const available = this.activeHealthy && !this.ejected;
    if (available === this.available) return;
    this.available = available;
    this.observer.targetHealth(this.poolName, this.url, available);
  }
}

function endEjection(target: Target): void {
  target.readmit();
}
