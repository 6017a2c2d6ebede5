// Shared counters behind one small interface: token buckets for rate limits now, login-failure
// counters later. The embedded default keeps them in this process; a Redis implementation (for several
// gateways) plugs in behind the same interface, which is why `take` may return a promise.

export interface BucketRule {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Largest number of tokens the bucket holds (the burst). */
  burst: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Tokens left after this take (floored). */
  remaining: number;
  /** When refused: how long until one token is available, ms. */
  retryAfterMs: number;
}

export interface TokenBucketStore {
  /** Take one token from the bucket `key` governed by `rule`. */
  take(key: string, rule: BucketRule, nowMs?: number): TakeResult | Promise<TakeResult>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * In-process token buckets. Memory is bounded: a flood of distinct keys (spoofed client IPs) evicts
 * the least recently inserted buckets instead of growing without limit; an evicted bucket comes back
 * full, which is the same answer a brand-new client gets, so eviction never refuses anyone wrongly.
 *
 * @example
 * const buckets = new InMemoryTokenBuckets();
 * const r = buckets.take('route:api', { ratePerSec: 10, burst: 20 });
 * if (!r.allowed) reply429(r.retryAfterMs);
 */
export class InMemoryTokenBuckets implements TokenBucketStore {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxKeys = 100_000) {}

  take(key: string, rule: BucketRule, nowMs: number = performance.now()): TakeResult {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evictOldest();
      bucket = { tokens: rule.burst, updatedMs: nowMs };
      this.buckets.set(key, bucket);
    } else {
      const elapsed = nowMs - bucket.updatedMs;
      if (elapsed > 0) {
        bucket.tokens = Math.min(rule.burst, bucket.tokens + (elapsed * rule.ratePerSec) / 1000);
        bucket.updatedMs = nowMs;
      }
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
    }
    const retryAfterMs = rule.ratePerSec > 0 ? Math.ceil(((1 - bucket.tokens) * 1000) / rule.ratePerSec) : Number.MAX_SAFE_INTEGER;
    return { allowed: false, remaining: 0, retryAfterMs };
  }

  get size(): number {
    return this.buckets.size;
  }

  private evictOldest(): void {
    // Map iteration order is insertion order: drop the oldest tenth in one go so eviction cost is
    // amortised rather than paid on every new key during a flood.
    let toDrop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (--toDrop === 0) break;
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
