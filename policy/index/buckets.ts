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

/** Principal or resource buckets: by uid for `==`, by uid for `in` / `is T in`, by type for `is`. */
export class EntityBuckets {
  readonly eq = new Map<EntityKey, number>();
  readonly in = new Map<EntityKey, number>();
  readonly is = new Map<string, number>();
  readonly all: number;

  constructor(private readonly lists: BucketLists) {
    this.all = lists.create();
  }

  /** Files policy i; returns its bucket. `is T in E` goes under E: fewer entities are in E than are T. */
  file(s: EntityScope, i: number): number {
    let b: number;
    switch (s.kind) {
      case 'all': b = this.all; break;
      case 'eq': b = bucketFor(this.eq, s.key, this.lists); break;
      case 'in': case 'isIn': b = bucketFor(this.in, s.key, this.lists); break;
      case 'is': b = bucketFor(this.is, s.type, this.lists); break;
    }
    this.lists.add(b, i);
    return b;
  }

  get size(): number {
    return this.eq.size + this.in.size + this.is.size + 1;
  }
}

/** Action buckets: by uid for `==`, one per listed uid for `in` / `in [..]`. */
export class ActionBuckets {
  readonly eq = new Map<EntityKey, number>();
  readonly in = new Map<EntityKey, number>();
  readonly all: number;

  constructor(private readonly lists: BucketLists) {
    this.all = lists.create();
  }

  /** Files policy i; returns its buckets (several for `in [..]`). */
  file(s: ActionScope, i: number): number[] {
    let bs: number[];
    switch (s.kind) {
      case 'all': bs = [this.all]; break;
      case 'eq': bs = [bucketFor(this.eq, s.key, this.lists)]; break;
      case 'in': bs = [...new Set(s.keys.map((k) => bucketFor(this.in, k, this.lists)))]; break;
    }
    for (const b of bs) this.lists.add(b, i);
    return bs;
  }

  get size(): number {
    return this.eq.size + this.in.size + 1;
  }
}
