// Decides whether a request is within its route's rate limits: one bucket for the route as a whole and
// one per client (the verified mTLS identity when there is one, else the client IP). Both are checked
// so one noisy client cannot drain the route's shared budget without also hitting its own.
import type { RouteConfig } from './config/types.js';
import type { TakeResult, TokenBucketStore } from '../store/index.js';

export interface RateLimitVerdict {
  allowed: boolean;
  scope?: 'route' | 'client';
  retryAfterSec?: number;
}

const ALLOWED: RateLimitVerdict = { allowed: true };

function refused(scope: 'route' | 'client', r: TakeResult): RateLimitVerdict {
  return { allowed: false, scope, retryAfterSec: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
}

/** Check the route and client buckets; the client bucket is only charged when the route bucket allowed. */
export async function checkRateLimit(store: TokenBucketStore, route: RouteConfig, clientKey: string): Promise<RateLimitVerdict> {
  const { rateLimit } = route;
  if (rateLimit.route !== undefined) {
    const r = await store.take(`r:${route.name}`, rateLimit.route);
    if (!r.allowed) return refused('route', r);
  }
  if (rateLimit.client !== undefined) {
    const r = await store.take(`c:${route.name}:${clientKey}`, rateLimit.client);
    if (!r.allowed) return refused('client', r);
  }
  return ALLOWED;
}
