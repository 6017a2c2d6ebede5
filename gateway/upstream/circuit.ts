// Per-pool circuit breaker. Closed: count consecutive failed requests; at the threshold, open. Open:
// refuse everything for openMs so a failing upstream gets room to recover. Half-open: let a few probe
// requests through; the first probe verdict closes or re-opens the circuit.
import type { CircuitBreakerConfig } from '../config/types.js';
import type { CircuitState } from '../metrics.js';

/** What `admit()` decided. Plain numbers so the hot path allocates nothing. */
export const ADMIT = 0;
export const ADMIT_PROBE = 1;
export const REJECT = 2;
export type Admission = typeof ADMIT | typeof ADMIT_PROBE | typeof REJECT;

/**
 * @example
 * const cb = new CircuitBreaker(cfg, (s) => observer.circuit(pool, s));
 * const a = cb.admit(); if (a === REJECT) throw ...;
 * ... cb.record(a === ADMIT_PROBE, ok);
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private probesInFlight = 0;
  private halfOpenAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly onChange: (state: CircuitState) => void,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  /** Decide whether a request may go upstream now. A probe admission must be settled with record/release. */
  admit(): Admission {
    if (this.current === 'closed') return ADMIT;
    if (this.current === 'half-open' && this.probesInFlight < this.config.halfOpenRequests) {
      this.probesInFlight++;
      return ADMIT_PROBE;
    }
    return REJECT;
  }

  /** Feed the verdict of an admitted request (ok = the upstream answered below 500). */
  record(probe: boolean, ok: boolean): void {
    if (probe) {
      this.probesInFlight--;
      // Probes are only meaningful for the half-open window they were admitted in.
      if (this.current !== 'half-open') return;
      if (ok) this.close();
      else this.open();
      return;
    }
    // Requests admitted before the circuit opened carry no news about recovery; ignore their verdict.
    if (this.current !== 'closed') return;
    if (ok) {
      this.failures = 0;
    } else if (++this.failures >= this.config.failureThreshold) {
      this.open();
    }
  }

  /** Settle an admission that produced no verdict (client aborted, no target to try). */
  release(probe: boolean): void {
    if (probe) this.probesInFlight--;
  }

  /** Whole seconds a refused client should wait: until half-open, or 1 while probes are running. */
  retryAfterSeconds(now: number = Date.now()): number {
    if (this.current !== 'open') return 1;
    return Math.max(1, Math.ceil((this.halfOpenAt - now) / 1000));
  }

  /** Stop the open→half-open timer (pool shutdown). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private open(): void {
    this.failures = 0;
    this.halfOpenAt = Date.now() + this.config.openMs;
    if (this.timer !== undefined) clearTimeout(this.timer);
    // A timer, not a lazy check on the next request, so the circuit gauge moves even with no traffic.
    this.timer = setTimeout(toHalfOpen, this.config.openMs, this);
    this.timer.unref();
    this.transition('open');
  }

  private close(): void {
    this.failures = 0;
    this.transition('closed');
  }

  /** @internal called by the open timer. */
  halfOpen(): void {
    this.timer = undefined;
    if (this.current === 'open') this.transition('half-open');
  }

  private transition(next: CircuitState): void {
    if (next === this.current) return;
    this.current = next;
    this.onChange(next);
  }
}

function toHalfOpen(cb: CircuitBreaker): void {
  cb.halfOpen();
}
