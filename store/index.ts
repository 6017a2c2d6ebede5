// Persistence and shared counters behind small interfaces. Embedded defaults need no services.
export { InMemoryTokenBuckets } from './counters.js';
export type { BucketRule, TakeResult, TokenBucketStore } from './counters.js';
