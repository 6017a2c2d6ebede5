// An indexed, immutable policy set, and the one mutable reference the gateway holds to it.
//
// A decision evaluates only the candidates the scope index selects (see index/scope-index.ts for why
// that can never leave out a policy that applies, and selects exactly the policies whose scope
// matches) and hands them, in policy-set order, to `authorizeMatched` (the same rule as `authorize`,
// minus the scope checks the index already made) or to `explain`. So the index changes how many
// policies are evaluated, never the answer: deny by default, forbid wins, errors reported per policy.

import { createHash } from 'node:crypto';
import { authorizeMatched, explain, type AuthorizationResult, type Explanation } from './authorize.js';
import { EMPTY_ENTITY_STORE, type EntityData, type EntityStore } from './entities.js';
import { PolicyError } from './errors.js';
import { compilePolicy, type CompiledPolicy } from './eval/policy.js';
import type { Request } from './eval/types.js';
import { ScopeIndex, type AncestorSet, type Dimension } from './index/scope-index.js';
import { indexScopes } from './index/scope.js';
import type { LoadedPolicySet } from './load/types.js';
import type { EntityUID } from './values/index.js';

export interface PolicySetOptions {
  /**
   * Identifies this set in decisions and audit events. Defaults to the loader's version for loaded
   * data, else a `sha256:` digest of the policies' ids, effects and JSON.
   */
  readonly version?: string;
}

/** What the loader produces (`LoadedPolicySet`) or anything shaped like it. */
export type LoadedPolicies = Pick<LoadedPolicySet, 'policies'> & Partial<Pick<LoadedPolicySet, 'version'>>;

/** `explain` plus how the index narrowed the set, so an operator can see what was evaluated. */
export interface IndexedExplanation extends Explanation {
  readonly version: string;
  /** Policies in the set, and how many of them were evaluated for this request. */
  readonly total: number;
  readonly evaluated: number;
  /** The scope dimension whose buckets supplied the candidates, and how many policies it held. */
  readonly dimension: Dimension;
  readonly walked: number;
}

const NO_ANCESTORS: AncestorSet = new Set<string>();

/** Mutable probe parts, reused across lookups: decisions are synchronous, so one per set suffices. */
interface ProbeEntity { key: string; type: string; ancestors: AncestorSet }

function bigintSafe(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

function digest(policies: readonly CompiledPolicy[]): string {
  const h = createHash('sha256');
  for (const p of policies) h.update(`${p.id}\u0000${p.effect}\u0000${JSON.stringify(p.est, bigintSafe)}\u0000`);
  return `sha256:${h.digest('hex')}`;
}

function compileLoaded(loaded: LoadedPolicies): CompiledPolicy[] {
  // A linked policy's JSON already has its slots filled in by the loader.
  return loaded.policies.map((p) => compilePolicy(p.id, p.est, p.link === undefined ? {} : { templateId: p.link.templateId }));
}

/**
 * An immutable, indexed policy set. Build it once per policy change (off the request path), share
 * it between requests, swap it with `PolicyEngine`.
 *
 * @example
 *   const set = PolicySet.build(parsePolicies(text).map((p) => compilePolicy(p.id, p.est)));
 *   const result = set.isAuthorized(makeRequest(alice, get, route), store);
 *   if (result.decision !== 'allow') reply.code(403);
 */
export class PolicySet {
  readonly version: string;
  readonly policies: readonly CompiledPolicy[];
  private readonly byId: ReadonlyMap<string, CompiledPolicy>;
  private readonly index: ScopeIndex;
  private readonly scratch: CompiledPolicy[] = [];
  private readonly pp: ProbeEntity = { key: '', type: '', ancestors: NO_ANCESTORS };
  private readonly pa: ProbeEntity = { key: '', type: '', ancestors: NO_ANCESTORS };
  private readonly pr: ProbeEntity = { key: '', type: '', ancestors: NO_ANCESTORS };
  private readonly probe = { principal: this.pp, action: this.pa, resource: this.pr };
  private readonly memo = new RequestEntities();

  private constructor(policies: readonly CompiledPolicy[], version: string) {
    const byId = new Map<string, CompiledPolicy>();
    for (const p of policies) {
      if (byId.has(p.id)) {
        throw new PolicyError('PCL_POLICY_DUPLICATE_ID', `policy id "${p.id}" is used twice`, { details: [{ message: 'duplicate id', policyId: p.id }] });
      }
      byId.set(p.id, p);
    }
    this.policies = Object.freeze([...policies]);
    this.byId = byId;
    this.version = version;
    this.index = new ScopeIndex(this.policies.map((p) => indexScopes(p.scope)));
  }

  /**
   * Index compiled policies, or compile and index what the loader produced. Throws PolicyError
   * (PCL_POLICY_DUPLICATE_ID, or the compiler's codes) and leaves nothing half-built.
   */
  static build(input: readonly CompiledPolicy[] | LoadedPolicies, opts: PolicySetOptions = {}): PolicySet {
    const policies = Array.isArray(input) ? (input as readonly CompiledPolicy[]) : compileLoaded(input as LoadedPolicies);
    const loadedVersion = Array.isArray(input) ? undefined : (input as LoadedPolicies).version;
    return new PolicySet(policies, opts.version ?? loadedVersion ?? digest(policies));
  }

  /** A set with no policies: denies everything. */
  static empty(version = 'empty'): PolicySet {
    return new PolicySet([], version);
  }

  get size(): number {
    return this.policies.length;
  }

  get(id: string): CompiledPolicy | undefined {
    return this.byId.get(id);
  }

  /**
   * Decide a request: deny by default, any satisfied forbid denies, otherwise any satisfied permit
   * allows. Only policies whose scope could match are evaluated.
   */
  isAuthorized(request: Request, entities: EntityStore): AuthorizationResult {
    const memo = this.memo;
    const selected = this.select(request, entities);
    try {
      return authorizeMatched(selected, request, memo);
    } finally {
      memo.reset();
    }
  }

  /** `isAuthorized` plus a verdict for every evaluated policy and what the index did. */
  explain(request: Request, entities: EntityStore): IndexedExplanation {
    const candidates = [...this.select(request, entities)];
    let ex: Explanation;
    try {
      ex = explain(candidates, request, this.memo);
    } finally {
      this.memo.reset();
    }
    return {
      ...ex,
      version: this.version,
      total: this.policies.length,
      evaluated: candidates.length,
      dimension: this.index.lastDimension,
      walked: this.index.lastWalked,
    };
  }

  /** The policies a request would evaluate, in policy-set order (a fresh array). */
  candidates(request: Request, entities: EntityStore): CompiledPolicy[] {
    const out = [...this.select(request, entities)];
    this.memo.reset();
    return out;
  }

  stats(): { version: string; policies: number; buckets: Record<Dimension, number> } {
    return { version: this.version, ...this.index.stats() };
  }

  // The returned array is reused by the next call; callers consume it before returning.
  // Also loads `memo` with the request's three entities; callers that evaluate reset it after.
  private select(request: Request, entities: EntityStore): readonly CompiledPolicy[] {
    const memo = this.memo;
    memo.load(request, entities);
    fill(this.pp, request.principal, memo.pd);
    fill(this.pa, request.action, memo.ad);
    fill(this.pr, request.resource, memo.rd);
    const n = this.index.select(this.probe);
    const out = this.scratch;
    out.length = n;
    const sel = this.index.selected;
    for (let i = 0; i < n; i++) out[i] = this.policies[sel[i] as number] as CompiledPolicy;
    return out;
  }
}

function fill(p: ProbeEntity, uid: EntityUID, data: EntityData | undefined): void {
  p.key = uid.key;
  p.type = uid.type;
  // An entity the store does not know has no ancestors (Cedar: `in` is then plain equality).
  p.ancestors = data?.ancestors ?? NO_ANCESTORS;
}

/**
 * The caller's store as one decision sees it: the request's principal, action and resource are
 * looked up once (the index needs them anyway) and then answered from fields, because compiled
 * scopes and conditions (`principal.level`, `resource.owner`) ask for them again and again, and at
 * 10,000 entities each store lookup is a hash probe that misses the CPU caches. Matching is by uid
 * object identity, so any other uid (even an equal one) goes to the store, which answers the same.
 * One per PolicySet, reused: decisions are synchronous. `reset` drops the references afterwards so
 * a set does not keep a finished request's entities alive.
 */
class RequestEntities implements EntityStore {
  private base: EntityStore = EMPTY_ENTITY_STORE;
  private pu: EntityUID | null = null;
  private au: EntityUID | null = null;
  private ru: EntityUID | null = null;
  pd: EntityData | undefined = undefined;
  ad: EntityData | undefined = undefined;
  rd: EntityData | undefined = undefined;

  load(request: Request, base: EntityStore): void {
    this.base = base;
    this.pu = request.principal;
    this.au = request.action;
    this.ru = request.resource;
    this.pd = base.get(request.principal);
    this.ad = base.get(request.action);
    this.rd = base.get(request.resource);
  }

  reset(): void {
    this.base = EMPTY_ENTITY_STORE;
    this.pu = this.au = this.ru = null;
    this.pd = this.ad = this.rd = undefined;
  }

  get(uid: EntityUID): EntityData | undefined {
    if (uid === this.pu) return this.pd;
    if (uid === this.ru) return this.rd;
    if (uid === this.au) return this.ad;
    return this.base.get(uid);
  }
}

/**
 * The gateway's one reference to the live policy set. `replace` builds and indexes the new set
 * completely before a single assignment publishes it, so a reader sees the old set or the new one,
 * never a mix; a reader that needs several answers from one version takes `current()` once.
 *
 * @example
 *   const engine = new PolicyEngine(PolicySet.build(loaded));
 *   const result = engine.isAuthorized(request, store);   // per request
 *   engine.replace(await loadPolicies(dir));              // on policy change; throws, and keeps the old set, if invalid
 */
export class PolicyEngine {
  private live: PolicySet;

  constructor(initial: PolicySet = PolicySet.empty()) {
    this.live = initial;
  }

  current(): PolicySet {
    return this.live;
  }

  get version(): string {
    return this.live.version;
  }

  /** Publish `next`; returns the set it replaced. */
  swap(next: PolicySet): PolicySet {
    const prev = this.live;
    this.live = next;
    return prev;
  }

  /** Build a set from `input` and publish it. If building throws, the live set is unchanged. */
  replace(input: readonly CompiledPolicy[] | LoadedPolicies, opts: PolicySetOptions = {}): PolicySet {
    const next = PolicySet.build(input, opts);
    this.swap(next);
    return next;
  }

  isAuthorized(request: Request, entities: EntityStore): AuthorizationResult {
    return this.live.isAuthorized(request, entities);
  }

  explain(request: Request, entities: EntityStore): IndexedExplanation {
    return this.live.explain(request, entities);
  }
}
