// Where the evaluator finds entities. `EntityStore` is the one interface it calls: the gateway can
// implement it straight from in-memory users and roles (no JSON per request), and
// `MemoryEntityStore` implements it for Cedar's entity JSON and for plain definitions. Ancestor sets
// are computed once when a store is built; an entity that is not in the store has no attributes, no
// tags and no ancestors (Cedar: reading its attribute is an error, `in` is just equality).

import { PolicyError } from './errors.js';
import { computeAncestors, NO_ANCESTORS, type ParentLinks } from './entities/closure.js';
import { pathKey, uidFromJson, valueFromJson } from './entities/value-json.js';
import { isLosslessNumber, parseJson } from './json.js';
import type { EntityUID, Value } from './values/index.js';

export { longFromJson, recordFromJson, uidFromJson, valueFromJson } from './entities/value-json.js';
export { MAX_CLOSURE_ENTRIES } from './entities/closure.js';

/** One entity as the evaluator reads it. */
export interface EntityData {
  readonly uid: EntityUID;
  readonly attrs: ReadonlyMap<string, Value>;
  readonly tags: ReadonlyMap<string, Value>;
  /** Keys (`EntityUID.key`) of every transitive ancestor, not including the entity itself. */
  readonly ancestors: { has(key: string): boolean };
}

/**
 * The evaluator's view of entity data: look an entity up by uid. Return `undefined` for an entity
 * you do not know; never throw.
 *
 * @example
 * // A gateway store: users and their roles from memory, nothing serialized per request.
 * const store: EntityStore = {
 *   get: (uid) => (uid.type === 'User' ? users.get(uid.id) : undefined),
 * };
 */
export interface EntityStore {
  get(uid: EntityUID): EntityData | undefined;
}

/** An entity definition: what Cedar's entity JSON says about one entity, already as Values. */
export interface EntityInput {
  uid: EntityUID;
  attrs?: ReadonlyMap<string, Value>;
  parents?: readonly EntityUID[];
  tags?: ReadonlyMap<string, Value>;
}

const NO_VALUES: ReadonlyMap<string, Value> = new Map();

/** An entity store that holds nothing. */
export const EMPTY_ENTITY_STORE: EntityStore = { get: () => undefined };

/**
 * An immutable in-memory entity store with precomputed ancestor sets.
 *
 * @example
 * const store = MemoryEntityStore.fromJson(readFileSync('entities.json'));
 * store.get(new EntityUID('User', 'alice'))?.ancestors.has(new EntityUID('Role', 'admin').key)
 */
export class MemoryEntityStore implements EntityStore {
  private readonly byKey: ReadonlyMap<string, EntityData>;
  private readonly links: ReadonlyMap<string, ParentLinks>;
  /** Keys named as a parent somewhere: extending the store with one of them changes closures. */
  private readonly referenced: ReadonlySet<string>;

  private constructor(byKey: Map<string, EntityData>, links: Map<string, ParentLinks>, referenced: Set<string>) {
    this.byKey = byKey;
    this.links = links;
    this.referenced = referenced;
  }

  /**
   * Build a store from definitions. Throws PCL_POLICY_ENTITY_DUPLICATE for a uid defined twice and
   * PCL_POLICY_ENTITY_CYCLE for a cyclic hierarchy.
   */
  static fromEntities(entities: Iterable<EntityInput>): MemoryEntityStore {
    return MemoryEntityStore.build(entities, undefined);
  }

  /**
   * Build a store from Cedar entity JSON (text, bytes, or an already losslessly parsed array): an
   * array of `{"uid", "attrs", "parents", "tags"}`. Integers are kept exact.
   */
  static fromJson(input: string | Uint8Array | unknown[]): MemoryEntityStore {
    const doc = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input, 'entity JSON') : input;
    return MemoryEntityStore.fromEntities(entitiesFromJson(doc));
  }

  private static build(entities: Iterable<EntityInput>, base: MemoryEntityStore | undefined): MemoryEntityStore {
    const links = new Map<string, ParentLinks>();
    const inputs = new Map<string, EntityInput>();
    const referenced = new Set<string>(base?.referenced);
    for (const e of entities) {
      const key = e.uid.key;
      if (inputs.has(key) || base?.byKey.has(key)) throw new PolicyError('PCL_POLICY_ENTITY_DUPLICATE', `${e.uid.toString()} is defined twice`);
      inputs.set(key, e);
      const parents = e.parents ?? [];
      links.set(key, { uid: e.uid, parents });
      for (const p of parents) referenced.add(p.key);
    }
    const ancestors = computeAncestors(links, base === undefined ? undefined : (k) => base.byKey.get(k)?.ancestors as ReadonlySet<string> | undefined);
    const byKey = new Map<string, EntityData>(base?.byKey);
    for (const [key, e] of inputs) {
      byKey.set(key, { uid: e.uid, attrs: e.attrs ?? NO_VALUES, tags: e.tags ?? NO_VALUES, ancestors: ancestors.get(key) ?? NO_ANCESTORS });
    }
    const allLinks = new Map<string, ParentLinks>(base?.links);
    for (const [k, l] of links) allLinks.set(k, l);
    return new MemoryEntityStore(byKey, allLinks, referenced);
  }

  /**
   * A new store with these entities added (this one is unchanged). Only the new entities' closures
   * are computed, unless one of them was already named as a parent, which changes existing closures
   * and forces a full rebuild.
   */
  extend(entities: Iterable<EntityInput>): MemoryEntityStore {
    const list = [...entities];
    if (list.some((e) => this.referenced.has(e.uid.key) && (e.parents?.length ?? 0) > 0)) {
      return MemoryEntityStore.fromEntities([...this.definitions(), ...list]);
    }
    return MemoryEntityStore.build(list, this);
  }

  get(uid: EntityUID): EntityData | undefined {
    return this.byKey.get(uid.key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Every entity, in no particular order. */
  values(): IterableIterator<EntityData> {
    return this.byKey.values();
  }

  /** Every entity as a definition (direct parents, not the closure). */
  *definitions(): IterableIterator<EntityInput> {
    for (const [key, e] of this.byKey) yield { uid: e.uid, attrs: e.attrs, tags: e.tags, parents: this.links.get(key)?.parents ?? [] };
  }
}

/**
 * A store that answers from `top` first, then from `base` (e.g. request-scoped entities over a shared
 * store). Ancestors are not merged across layers: give `top` entities their full ancestor sets, or
 * use `MemoryEntityStore.extend` when closures must span both.
 */
export function layerEntityStores(top: EntityStore, base: EntityStore): EntityStore {
  return { get: (uid) => top.get(uid) ?? base.get(uid) };
}

const ENTITY_KEYS = new Set(['uid', 'attrs', 'parents', 'tags']);

/**
 * Parse Cedar entity JSON (already losslessly parsed) into definitions, with path-bearing errors.
 *
 * @example
 * entitiesFromJson([{ uid: { type: 'User', id: 'a' }, attrs: {}, parents: [] }])[0].uid.id === 'a'
 */
export function entitiesFromJson(doc: unknown): EntityInput[] {
  if (!Array.isArray(doc)) throw entityError('', 'expected an array of entities');
  const out: EntityInput[] = [];
  for (let i = 0; i < doc.length; i++) {
    const path = `[${i}]`;
    const e: unknown = doc[i];
    if (typeof e !== 'object' || e === null || Array.isArray(e) || isLosslessNumber(e)) throw entityError(path, 'expected an entity object');
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!ENTITY_KEYS.has(k)) throw entityError(path, `unknown key "${k}" (allowed: uid, attrs, parents, tags)`);
    if (!('uid' in o)) throw entityError(path, 'missing "uid"');
    const uid = uidFromJson(o.uid, `${path}.uid`);
    const attrs = o.attrs === undefined ? NO_VALUES : mapFromJson(o.attrs, `${path}.attrs`);
    const tags = o.tags === undefined ? NO_VALUES : mapFromJson(o.tags, `${path}.tags`);
    let parents: EntityUID[] = [];
    if (o.parents !== undefined) {
      if (!Array.isArray(o.parents)) throw entityError(`${path}.parents`, 'expected an array of entity uids');
      parents = o.parents.map((p, j) => uidFromJson(p, `${path}.parents[${j}]`));
    }
    out.push({ uid, attrs, parents, tags });
  }
  return out;
}

function mapFromJson(v: unknown, path: string): ReadonlyMap<string, Value> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || isLosslessNumber(v)) throw entityError(path, 'expected an object');
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) return NO_VALUES;
  const m = new Map<string, Value>();
  for (const k of keys) m.set(k, valueFromJson(o[k], pathKey(path, k)));
  return m;
}

function entityError(path: string, message: string): PolicyError {
  return new PolicyError('PCL_POLICY_ENTITY_INVALID', path === '' ? message : `${path}: ${message}`, { details: [{ message, path }] });
}
