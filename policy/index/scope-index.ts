// Candidate selection: which policies could apply to a request, judged by scope alone.
//
// Every policy is filed in all three dimensions (principal, action, resource): in one bucket per
// dimension (one per listed action for `action in [..]`), or in that dimension's always-candidate
// bucket when its scope there is unconstrained. A lookup finds, in each dimension, the buckets the
// request matches (the entity itself, each of its ancestors, its type, the always bucket) and marks
// them. It then walks only the smallest dimension's matched buckets and keeps a policy when its
// buckets in the other two dimensions are marked too: the intersection of the three. (When the
// action or resource side is already small, the principal side is not probed at all; each walked
// policy's principal scope is checked directly instead, which is the same test.)
//
// A policy's scope matches exactly when each of its dimensions' buckets was matched, so the walk
// cannot drop an applicable policy (every dimension holds every policy), and what it keeps is the
// policies whose scope matches, exactly. PolicySet relies on that: it evaluates only the selected
// policies' conditions (authorizeMatched), so a change here that over-selects would wrongly apply
// policies; the Cedar corpus and differential tests guard it.

import { ActionBuckets, BucketLists, EntityBuckets, type KeyedBuckets } from './buckets.js';
import type { EntityKey, EntityScope, PolicyScopes } from './scope.js';

/**
 * Transitive ancestors of an entity, not including the entity itself: the entity store's cached
 * set. When the set can be iterated (MemoryEntityStore's can), a lookup probes one bucket per
 * ancestor; a store that can only answer `has` still gets correct answers, at the cost of asking it
 * about every `in` bucket of the dimension.
 */
export type AncestorSet = { has(key: EntityKey): boolean } & Partial<Iterable<EntityKey>>;

/** What the index needs to know about a request principal or resource. */
export interface EntityProbe {
  readonly key: EntityKey;
  readonly type: string;
  readonly ancestors: AncestorSet;
}

export interface ActionProbe {
  readonly key: EntityKey;
  readonly ancestors: AncestorSet;
}

export interface RequestProbe {
  readonly principal: EntityProbe;
  readonly action: ActionProbe;
  readonly resource: EntityProbe;
}

export type Dimension = 'principal' | 'action' | 'resource';

/** Below this many candidates an insertion sort beats a typed-array sort (and allocates nothing). */
const SMALL_SORT = 48;

/**
 * When the action or resource dimension offers at most this many policies, the principal
 * dimension is not probed (a user can hold many roles, each a map lookup that is likely a cache
 * miss at scale); each of those few policies' principal scope is checked on its own instead.
 */
const SKIP_PRINCIPAL_PROBE_AT = 32;

/** Per-policy record in `meta`: resource bucket, principal bucket, action bucket range, flags. */
const STRIDE = 5;
const F_PRINCIPAL_TYPE = 1; // `principal is T in E`: filed under E, T checked per policy
const F_RESOURCE_TYPE = 2;

const K_ALL = 0;
const K_EQ = 1;
const K_IN = 2;
const K_IS = 3;
const K_IS_IN = 4;

const KIND_CODE: Record<EntityScope['kind'], number> = { all: K_ALL, eq: K_EQ, in: K_IN, is: K_IS, isIn: K_IS_IN };

/**
 * One dimension's principal/resource scopes as parallel flat arrays, so a walk checks a policy's
 * scope without dereferencing its scope objects (each a likely cache miss at 10,000 policies). Keys
 * and types are interned at build: equal keys of different policies are one string, so the
 * policies a request walks (mostly one service's) touch a few strings instead of one each.
 */
class FlatScopes {
  readonly kind: Uint8Array;
  readonly key: string[];
  readonly type: string[];

  constructor(scopes: readonly EntityScope[], intern: (s: string) => string) {
    this.kind = new Uint8Array(scopes.length);
    this.key = new Array<string>(scopes.length);
    this.type = new Array<string>(scopes.length);
    scopes.forEach((s, i) => {
      this.kind[i] = KIND_CODE[s.kind];
      this.key[i] = s.kind === 'eq' || s.kind === 'in' || s.kind === 'isIn' ? intern(s.key) : '';
      this.type[i] = s.kind === 'is' || s.kind === 'isIn' ? intern(s.type) : '';
    });
  }

  /** Cedar's scope rule for policy i's constraint in this dimension. */
  matches(i: number, p: EntityProbe): boolean {
    switch (this.kind[i]) {
      case K_ALL: return true;
      case K_EQ: return this.key[i] === p.key;
      case K_IN: { const k = this.key[i] as string; return k === p.key || p.ancestors.has(k); }
      case K_IS: return this.type[i] === p.type;
      default: { const k = this.key[i] as string; return this.type[i] === p.type && (k === p.key || p.ancestors.has(k)); }
    }
  }
}

/**
 * Scope index over policies numbered 0..size-1 in policy-set order.
 *
 * @example
 *   const idx = new ScopeIndex(policies.map((p) => indexScopes(p.scope)));
 *   const n = idx.select(probe);
 *   for (let k = 0; k < n; k++) evaluate(policies[idx.selected[k]!]);
 */
export class ScopeIndex {
  readonly size: number;
  /**
   * Policy numbers selected by the last `select`, ascending, in `selected[0..count)`. Overwritten by
   * the next `select` on this index: read it before selecting again.
   */
  readonly selected: Int32Array;
  /** The dimension whose buckets the last `select` walked (for explain output and tests). */
  lastDimension: Dimension = 'principal';
  /** How many policies the last `select` walked before intersecting (for stats and tests). */
  lastWalked = 0;

  private readonly principalScopes: FlatScopes;
  private readonly resourceScopes: FlatScopes;
  private readonly principal: EntityBuckets;
  private readonly action: ActionBuckets;
  private readonly resource: EntityBuckets;
  private readonly start: Int32Array;
  private readonly items: Int32Array;
  private readonly meta: Int32Array;
  private readonly actionBuckets: Int32Array;
  /** Bucket marks: `marks[bucket] === epoch` when this lookup matched the bucket. */
  private readonly marks: Uint32Array;
  /** Policy marks: a policy in two matched action buckets is walked twice but kept once. */
  private readonly seen: Uint32Array;
  private epoch = 0;
  // Matched buckets of each dimension for the current lookup (reused: lookups are synchronous).
  private readonly matched: [number[], number[], number[]] = [[], [], []];
  private readonly counts = new Int32Array(3);
  private readonly totals = new Int32Array(3);

  constructor(scopes: readonly PolicyScopes[]) {
    const size = scopes.length;
    const lists = new BucketLists();
    this.size = size;
    const interned = new Map<string, string>();
    const intern = (k: string): string => {
      const c = interned.get(k);
      if (c !== undefined) return c;
      interned.set(k, k);
      return k;
    };
    this.principalScopes = new FlatScopes(scopes.map((s) => s.principal), intern);
    this.resourceScopes = new FlatScopes(scopes.map((s) => s.resource), intern);
    this.selected = new Int32Array(size);
    this.seen = new Uint32Array(size);
    this.principal = new EntityBuckets(lists);
    this.action = new ActionBuckets(lists);
    this.resource = new EntityBuckets(lists);
    this.meta = new Int32Array(size * STRIDE);
    const actionBuckets: number[] = [];
    scopes.forEach((s, i) => {
      const m = i * STRIDE;
      this.meta[m] = this.resource.file(s.resource, i);
      this.meta[m + 1] = this.principal.file(s.principal, i);
      this.meta[m + 2] = actionBuckets.length;
      actionBuckets.push(...this.action.file(s.action, i));
      this.meta[m + 3] = actionBuckets.length;
      this.meta[m + 4] = (s.principal.kind === 'isIn' ? F_PRINCIPAL_TYPE : 0) | (s.resource.kind === 'isIn' ? F_RESOURCE_TYPE : 0);
    });
    this.actionBuckets = Int32Array.from(actionBuckets);
    ({ start: this.start, items: this.items } = lists.seal());
    this.marks = new Uint32Array(lists.count);
  }

  private push(d: number, b: number): void {
    this.marks[b] = this.epoch;
    const list = this.matched[d] as number[];
    const c = this.counts[d] as number;
    list[c] = b;
    this.counts[d] = c + 1;
    this.totals[d] = (this.totals[d] as number) + (this.start[b + 1] as number) - (this.start[b] as number);
  }

  /** The entity's own `==` and `in` buckets (`in` is reflexive in Cedar), then its ancestors' `in` buckets. */
  private pushKeyed(d: number, x: KeyedBuckets, key: EntityKey, anc: AncestorSet): void {
    const s = x.slots.get(key);
    if (s !== undefined) {
      const eq = x.eq[s] as number;
      if (eq >= 0) this.push(d, eq);
      const inb = x.in[s] as number;
      if (inb >= 0) this.push(d, inb);
    }
    if (x.inCount === 0) return;
    if (anc[Symbol.iterator] !== undefined) {
      for (const a of anc as Iterable<EntityKey>) {
        const t = x.slots.get(a);
        if (t === undefined) continue;
        const b = x.in[t] as number;
        if (b >= 0) this.push(d, b);
      }
    } else {
      for (const [k, t] of x.slots) {
        const b = x.in[t] as number;
        if (b >= 0 && anc.has(k)) this.push(d, b);
      }
    }
  }

  private gatherEntity(d: number, x: EntityBuckets, p: EntityProbe): void {
    this.counts[d] = 0;
    this.totals[d] = 0;
    this.push(d, x.all);
    this.pushKeyed(d, x.keyed, p.key, p.ancestors);
    const t = x.is.get(p.type);
    if (t !== undefined) this.push(d, t);
  }

  private gatherAction(p: ActionProbe): void {
    const x = this.action;
    this.counts[1] = 0;
    this.totals[1] = 0;
    this.push(1, x.all);
    this.pushKeyed(1, x.keyed, p.key, p.ancestors);
  }

  /** Selects the policies whose scope matches the request; returns how many (see `selected`). */
  select(probe: RequestProbe): number {
    if (++this.epoch === 0xffffffff) {
      // Wrapped: old marks could equal a new epoch. Clear them once every 4 billion lookups.
      this.marks.fill(0);
      this.seen.fill(0);
      this.epoch = 1;
    }
    const totals = this.totals;
    // Dimensions: 0 principal, 1 action, 2 resource.
    this.gatherAction(probe.action);
    this.gatherEntity(2, this.resource, probe.resource);
    let d = (totals[1] as number) < (totals[2] as number) ? 1 : 2;
    const probePrincipal = (totals[d] as number) > SKIP_PRINCIPAL_PROBE_AT;
    if (probePrincipal) {
      this.gatherEntity(0, this.principal, probe.principal);
      if ((totals[0] as number) < (totals[d] as number)) d = 0;
    }
    this.lastDimension = d === 0 ? 'principal' : d === 1 ? 'action' : 'resource';
    this.lastWalked = totals[d] as number;
    return this.intersect(d, probe, probePrincipal);
  }

  private intersect(d: number, probe: RequestProbe, principalProbed: boolean): number {
    const { seen, selected, epoch, marks, meta, start, items, actionBuckets, principalScopes, resourceScopes } = this;
    const buckets = this.matched[d] as number[];
    const nb = this.counts[d] as number;
    let n = 0;
    for (let bi = 0; bi < nb; bi++) {
      const b = buckets[bi] as number;
      for (let j = start[b] as number, end = start[b + 1] as number; j < end; j++) {
        const i = items[j] as number;
        if (seen[i] === epoch) continue;
        seen[i] = epoch;
        const m = i * STRIDE;
        if (marks[meta[m] as number] !== epoch) continue;
        let actionOk = false;
        for (let k = meta[m + 2] as number, ke = meta[m + 3] as number; k < ke && !actionOk; k++) actionOk = marks[actionBuckets[k] as number] === epoch;
        if (!actionOk) continue;
        const flags = meta[m + 4] as number;
        if (principalProbed) {
          if (marks[meta[m + 1] as number] !== epoch) continue;
          if ((flags & F_PRINCIPAL_TYPE) !== 0 && !principalScopes.matches(i, probe.principal)) continue;
        } else if (!principalScopes.matches(i, probe.principal)) {
          continue;
        }
        if ((flags & F_RESOURCE_TYPE) !== 0 && !resourceScopes.matches(i, probe.resource)) continue;
        selected[n++] = i;
      }
    }
    // Buckets are each ascending; sorting the merge keeps reasons and explain output in set order.
    if (nb > 1) {
      if (n <= SMALL_SORT) insertionSort(selected, n);
      else selected.subarray(0, n).sort();
    }
    return n;
  }

  /** Shape of the index, for stats and tests. */
  stats(): { policies: number; buckets: Record<Dimension, number> } {
    return { policies: this.size, buckets: { principal: this.principal.size, action: this.action.size, resource: this.resource.size } };
  }
}

function insertionSort(a: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= 0 && (a[j] as number) > v) { a[j + 1] = a[j] as number; j--; }
    a[j + 1] = v;
  }
}
