// Build-time layout of the scope index: every bucket is a number, and all buckets' policy lists are
// packed into one Int32Array once the set is built. A lookup then costs a Map.get that returns a
// small integer and a walk over contiguous memory, instead of chasing a bucket object, its array
// and that array's backing store; at 10,000 policies those pointer chases are cache misses.

import type { ActionScope, EntityKey, EntityScope } from './scope.js';

/** Collects bucket lists while policies are filed; `seal` packs them. */
export class BucketLists {
  private readonly lists: number[][] = [];

  create(): number {
    this.lists.push([]);
    return this.lists.length - 1;
  }

  /** Files policy `i` in bucket `b`; policies arrive in ascending order, so a repeat is the last one. */
  add(b: number, i: number): void {
    const l = this.lists[b] as number[];
    if (l[l.length - 1] !== i) l.push(i);
  }

  get count(): number {
    return this.lists.length;
  }

  /** Bucket b's policies are `items[start[b] .. start[b + 1])`, ascending. */
  seal(): { start: Int32Array; items: Int32Array } {
    const start = new Int32Array(this.lists.length + 1);
    let total = 0;
    this.lists.forEach((l, b) => { start[b] = total; total += l.length; });
    start[this.lists.length] = total;
    const items = new Int32Array(total);
    this.lists.forEach((l, b) => items.set(l, start[b] as number));
    return { start, items };
  }
}

function bucketFor(map: Map<string, number>, key: string, lists: BucketLists): number {
  let b = map.get(key);
  if (b === undefined) map.set(key, (b = lists.create()));
  return b;
}

/**
 * The `==` and `in` buckets of one dimension under a single map: key → slot, and the slot's `==`
 * and `in` bucket in two arrays (-1 when it has none). A lookup of the request's own entity then
 * costs one map probe instead of two, each a likely cache miss at 10,000 entities.
 */
export class KeyedBuckets {
  readonly slots = new Map<EntityKey, number>();
  readonly eq: number[] = [];
  readonly in: number[] = [];
  eqCount = 0;
  inCount = 0;

  constructor(private readonly lists: BucketLists) {}

  private slot(key: EntityKey): number {
    let s = this.slots.get(key);
    if (s === undefined) {
      s = this.eq.length;
      this.slots.set(key, s);
      this.eq.push(-1);
      this.in.push(-1);
    }
    return s;
  }

  eqBucket(key: EntityKey): number {
    const s = this.slot(key);
    let b = this.eq[s] as number;
    if (b < 0) { this.eq[s] = b = this.lists.create(); this.eqCount++; }
    return b;
  }

  inBucket(key: EntityKey): number {
    const s = this.slot(key);
    let b = this.in[s] as number;
    if (b < 0) { this.in[s] = b = this.lists.create(); this.inCount++; }
    return b;
  }
}

/** Principal or resource buckets: by uid for `==`, by uid for `in` / `is T in`, by type for `is`. */
export class EntityBuckets {
  readonly keyed: KeyedBuckets;
  readonly is = new Map<string, number>();
  readonly all: number;

  constructor(private readonly lists: BucketLists) {
    this.all = lists.create();
    this.keyed = new KeyedBuckets(lists);
  }

  /** Files policy i; returns its bucket. `is T in E` goes under E: fewer entities are in E than are T. */
  file(s: EntityScope, i: number): number {
    let b: number;
    switch (s.kind) {
      case 'all': b = this.all; break;
      case 'eq': b = this.keyed.eqBucket(s.key); break;
      case 'in': case 'isIn': b = this.keyed.inBucket(s.key); break;
      case 'is': b = bucketFor(this.is, s.type, this.lists); break;
    }
    this.lists.add(b, i);
    return b;
  }

  get size(): number {
    return this.keyed.eqCount + this.keyed.inCount + this.is.size + 1;
  }
}

/** Action buckets: by uid for `==`, one per listed uid for `in` / `in [..]`. */
export class ActionBuckets {
  readonly keyed: KeyedBuckets;
  readonly all: number;

  constructor(private readonly lists: BucketLists) {
    this.all = lists.create();
    this.keyed = new KeyedBuckets(lists);
  }

  /** Files policy i; returns its buckets (several for `in [..]`). */
  file(s: ActionScope, i: number): number[] {
    let bs: number[];
    switch (s.kind) {
      case 'all': bs = [this.all]; break;
      case 'eq': bs = [this.keyed.eqBucket(s.key)]; break;
      case 'in': bs = [...new Set(s.keys.map((k) => this.keyed.inBucket(k)))]; break;
    }
    for (const b of bs) this.lists.add(b, i);
    return bs;
  }

  get size(): number {
    return this.keyed.eqCount + this.keyed.inCount + 1;
  }
}
