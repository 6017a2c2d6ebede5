// Random, gateway-shaped Cedar scenarios shared by the differential test and the policy bench.
//
// Everything is plain Cedar text + Cedar entity JSON, so the same scenario can be fed to cedar-wasm
// (the reference) and to our engine (through our parser) without either side seeing the other's
// representation. Integers stay within ±2^53: cedar-wasm's JS boundary rounds anything bigger.

import type { CedarValueJson, EntityJson, PolicySet as CedarWasmPolicySet } from '@cedar-policy/cedar-wasm/nodejs';
import { MemoryEntityStore, recordFromJson } from '../../policy/entities.js';
import { compilePolicy, type CompiledPolicy } from '../../policy/eval/policy.js';
import { makeRequest, type Request } from '../../policy/eval/types.js';
import { parsePolicies } from '../../policy/parse.js';
import { EntityUID } from '../../policy/values/index.js';

export interface Uid { type: string; id: string }
export interface GenPolicy { id: string; text: string }
export interface GenLink { templateId: string; newId: string; values: Record<string, Uid> }
export interface GenRequest { principal: Uid; action: Uid; resource: Uid; context: Record<string, CedarValueJson> }
export interface GenScenario {
  policies: GenPolicy[];
  templates: GenPolicy[];
  links: GenLink[];
  entities: EntityJson[];
  requests: GenRequest[];
}

/** Small, fast, seedable PRNG (mulberry32): tests must be reproducible from one printed number. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T {
    const x = xs[Math.floor(this.next() * xs.length)];
    if (x === undefined) throw new Error('pick from empty list');
    return x;
  }
  some<T>(xs: readonly T[], max: number): T[] {
    const n = this.int(0, Math.min(max, xs.length));
    const pool = [...xs];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(...pool.splice(Math.floor(this.next() * pool.length), 1));
    return out;
  }
}

export const uid = (type: string, id: string): Uid => ({ type, id });
/** Cedar text for an entity reference. */
export const ref = (u: Uid): string => `${u.type}::${JSON.stringify(u.id)}`;
const eref = (u: Uid): CedarValueJson => ({ __entity: { type: u.type, id: u.id } });

/** HTTP methods and the action groups a gateway policy names. DELETE sits in two groups on purpose. */
export const ACTION_ENTITIES: EntityJson[] = [
  ['any', []], ['read', ['any']], ['write', ['any']], ['admin', []],
  ['GET', ['read']], ['HEAD', ['read']], ['OPTIONS', []],
  ['POST', ['write']], ['PUT', ['write']], ['PATCH', ['write']], ['DELETE', ['write', 'admin']],
].map(([id, ps]) => ({ uid: uid('Action', id as string), attrs: {}, parents: (ps as string[]).map((p) => uid('Action', p)) }));
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
const GROUPS = ['read', 'write', 'admin', 'any'];

interface Universe {
  users: Uid[]; clients: Uid[]; roles: Uid[]; services: Uid[]; routes: Uid[];
  entities: EntityJson[];
}

function buildUniverse(r: Rng): Universe {
  const roles = Array.from({ length: r.int(2, 7) }, (_, i) => uid('Role', `r${i}`));
  const services = Array.from({ length: r.int(1, 3) }, (_, i) => uid('Service', `s${i}`));
  // Ids with quotes, backslashes, `::` and non-ASCII must not collide or confuse either engine.
  const users = Array.from({ length: r.int(2, 6) }, (_, i) => uid('User', i === 1 && r.chance(0.3) ? r.pick(['u"1', 'ü\\1', 'u::1', '']) : `u${i}`));
  const clients = Array.from({ length: r.int(0, 2) }, (_, i) => uid('Client', `c${i}`));
  const entities: EntityJson[] = [...ACTION_ENTITIES];
  // Role DAG: a role's parents are only later roles, so the hierarchy is acyclic (Cedar requires it).
  roles.forEach((role, i) => {
    entities.push({ uid: role, attrs: r.chance(0.5) ? { level: r.int(0, 9) } : {}, parents: r.some(roles.slice(i + 1), 2) });
  });
  for (const s of services) {
    const attrs: Record<string, CedarValueJson> = { tier: r.pick(['gold', 'silver']) };
    if (r.chance(0.7)) attrs.public = r.chance(0.5);
    if (r.chance(0.5)) attrs.limits = { rpm: r.int(10, 1000) };
    entities.push({ uid: s, attrs, parents: [] });
  }
  for (const u of users) {
    const attrs: Record<string, CedarValueJson> = {};
    // Each attribute is missing now and then: `has` guards and unguarded-access errors need both.
    if (r.chance(0.8)) attrs.department = r.pick(['eng', 'ops', 'sales']);
    if (r.chance(0.75)) attrs.level = r.int(-2, 9);
    if (r.chance(0.7)) attrs.groups = r.some(['admins', 'oncall', 'beta', 'audit'], 3);
    if (r.chance(0.6)) attrs.active = r.chance(0.8);
    if (r.chance(0.5)) attrs.manager = eref(r.pick(users));
    if (r.chance(0.1)) attrs.level = 'high'; // wrong type: comparisons on it must error in both engines
    if (r.chance(0.05)) attrs.level = r.pick([9007199254740991, -9007199254740991]);
    const tags: Record<string, CedarValueJson> = {};
    if (r.chance(0.4)) tags.team = r.pick(['red', 'blue']);
    if (r.chance(0.3)) tags.cost = r.int(0, 9);
    entities.push({ uid: u, attrs, parents: r.some(roles, 3), tags });
  }
  for (const c of clients) {
    entities.push({ uid: c, attrs: { name: c.id, trusted: r.chance(0.5) }, parents: r.some(roles, 2) });
  }
  const routes: Uid[] = [];
  for (let i = r.int(2, 7); i > 0; i--) {
    const svc = r.pick(services);
    const path = `/${svc.id}/${r.pick(['items', 'orders', 'admin', 'health'])}${r.chance(0.5) ? `/${r.int(1, 9)}` : ''}`;
    const route = uid('Route', `${svc.id}${path.replaceAll('/', '_')}_${i}`);
    routes.push(route);
    const attrs: Record<string, CedarValueJson> = { path, service: eref(svc) };
    if (r.chance(0.7)) attrs.owner = eref(r.pick(users));
    if (r.chance(0.6)) attrs.sensitivity = r.int(0, 9);
    entities.push({ uid: route, attrs, parents: r.chance(0.85) ? [svc] : [] });
  }
  return { users, clients, roles, services, routes, entities };
}

const GHOST_USER = uid('User', 'ghost');
const GHOST_ROLE = uid('Role', 'ghost');

function principalScope(r: Rng, u: Universe, slot: boolean): string {
  if (slot) return r.pick(['principal == ?principal', 'principal in ?principal', 'principal is User in ?principal']);
  const who = [...u.users, ...u.clients];
  switch (r.int(0, 9)) {
    case 0: case 1: case 2: return 'principal';
    case 3: return `principal == ${ref(r.chance(0.9) ? r.pick(who) : GHOST_USER)}`;
    case 4: return `principal is ${r.pick(['User', 'Client'])}`;
    case 5: return `principal is User in ${ref(r.pick(u.roles))}`;
    default: return `principal in ${ref(r.chance(0.95) ? r.pick(u.roles) : GHOST_ROLE)}`;
  }
}

function actionScope(r: Rng): string {
  const a = (): string => ref(uid('Action', r.chance(0.5) ? r.pick(METHODS) : r.pick(GROUPS)));
  switch (r.int(0, 9)) {
    case 0: case 1: return 'action';
    case 2: case 3: case 4: return `action == ${ref(uid('Action', r.pick(METHODS)))}`;
    case 5: case 6: return `action in ${a()}`;
    default: return `action in [${Array.from({ length: r.int(1, 3) }, a).join(', ')}]`;
  }
}

function resourceScope(r: Rng, u: Universe, slot: boolean): string {
  if (slot) return r.pick(['resource in ?resource', 'resource == ?resource']);
  switch (r.int(0, 9)) {
    case 0: case 1: case 2: case 3: return 'resource';
    case 4: return `resource == ${ref(r.pick(u.routes))}`;
    case 5: return 'resource is Route';
    case 6: return `resource is Route in ${ref(r.pick(u.services))}`;
    default: return `resource in ${ref(r.pick(u.services))}`;
  }
}

const DATES = ['2024-01-01', '2024-06-01T00:00:00Z', '2024-10-15T11:35:00Z', '2025-03-01T08:00:00+0200', '2024-10-15T11:35:00.250Z', '1969-12-31T23:59:59-0130'];
const DURS = ['9h', '17h30m', '1d', '100d', '-1h', '30m', '2h15m10s', '1d2h3m4s5ms', '0ms', '-36h'];
const CIDRS = ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '127.0.0.1/32'];

/** One boolean atom: the kind of condition operators write, including ones that can raise errors. */
function atom(r: Rng, u: Universe): string {
  const n = r.int(-1, 8);
  switch (r.int(0, 51)) {
    case 0: return `principal.department == ${JSON.stringify(r.pick(['eng', 'ops', 'sales']))}`;
    case 1: return `principal has department && principal.department != "sales"`;
    case 2: return `principal.level >= ${n}`;
    case 3: return `principal has level && principal.level > ${n}`;
    case 4: return `principal.groups.contains(${JSON.stringify(r.pick(['admins', 'oncall', 'beta']))})`;
    case 5: return `principal has groups && principal.groups.containsAny(["admins", "audit"])`;
    case 6: return 'resource.owner == principal';
    case 7: return 'resource has owner && resource.owner == principal';
    case 8: return `resource.path like ${JSON.stringify(`/${r.pick(u.services).id}/*`)}`;
    case 9: return `resource.service == ${ref(r.pick(u.services))}`;
    case 10: return 'resource.sensitivity <= principal.level';
    case 11: return `principal in ${ref(r.pick(u.roles))}`;
    case 12: return `resource in ${ref(r.pick(u.services))}`;
    case 13: return `principal is ${r.pick(['User', 'Client'])}`;
    case 14: return `ip(context.ip).isInRange(ip(${JSON.stringify(r.pick(CIDRS))}))`;
    case 15: return `context has ip && ip(context.ip).${r.pick(['isLoopback', 'isIpv4', 'isIpv6', 'isMulticast'])}()`;
    case 16: return `context.now ${r.pick(['>', '<=', '==', '!='])} datetime(${JSON.stringify(r.pick(DATES))})`;
    case 17: return `context.now.toTime() ${r.pick(['<', '>='])} duration(${JSON.stringify(r.pick(DURS))})`;
    case 18: return `context.now.offset(duration(${JSON.stringify(r.pick(DURS))})) < datetime(${JSON.stringify(r.pick(DATES))})`;
    case 19: return `context.now.durationSince(datetime(${JSON.stringify(r.pick(DATES))})).${r.pick(['toHours', 'toDays', 'toMinutes', 'toSeconds', 'toMilliseconds'])}() > ${n * 100}`;
    case 20: return r.pick(['context.mfa == true', 'context.mfa', 'context has mfa && context.mfa', '!context.mfa']);
    case 21: return `context.hour ${r.pick(['+', '-', '*'])} ${r.pick([String(n), '2000', '9223372036854775807', '-9223372036854775808'])} > ${r.int(0, 40)}`;
    case 22: return r.pick(['context.headers has "x-debug"', 'context.headers["x-debug"] == "1"', 'context.headers has "x-debug" && context.headers["x-debug"] like "1*"']);
    case 23: return 'principal.level * 9007199254740991 * 9007199254740991 > 0'; // i64 overflow: an error
    case 24: return `[${ref(uid('Action', 'GET'))}, ${ref(uid('Action', 'HEAD'))}].contains(action)`;
    case 25: return `action in ${ref(uid('Action', r.pick(GROUPS)))}`;
    case 26: return `(if principal has level then principal.level > ${n} else ${r.pick(['true', 'false'])})`;
    case 27: return `${ref(GHOST_ROLE)}.level > 1`; // attribute of an entity that does not exist: an error
    case 28: return 'principal.manager == resource.owner';
    case 29: return r.pick(['principal.active', 'principal has active && principal.active']);
    case 30: return `context.peer.isInRange(ip(${JSON.stringify(r.pick(CIDRS))}))`;
    case 31: return `resource.service.tier == "gold"`;
    case 32: return `principal.department like ${r.pick(['"*s*"', '"e*g"', '"*"', '"\\*"', '""'])}`;
    case 33: return `principal in [${ref(r.pick(u.roles))}, ${ref(r.pick(u.roles))}]`;
    case 34: return `principal.groups.containsAll(${r.pick(['[]', '["admins"]', '["admins", "oncall"]'])})`;
    case 35: return `principal.groups ${r.pick(['==', '!='])} ${r.pick(['["admins"]', '["oncall", "admins", "oncall"]', '[]'])}`;
    case 36: return r.pick(['principal.groups.isEmpty()', '!principal.groups.isEmpty()']);
    case 37: return `resource is Route in ${ref(r.pick(u.services))}`;
    case 38: return `principal.hasTag(${JSON.stringify(r.pick(['team', 'cost']))})`;
    case 39: return `principal.hasTag("team") && principal.getTag("team") == ${JSON.stringify(r.pick(['red', 'blue']))}`;
    case 40: return 'principal.getTag("cost") > 3'; // a missing tag is an error
    case 41: return `decimal(${JSON.stringify(r.pick(['1.5', '-0.25', '3.0001']))}).${r.pick(['lessThan', 'greaterThanOrEqual'])}(decimal("1.0"))`;
    case 42: return r.pick(['"a" < "b"', '!principal.department', 'principal.department + 1 > 0', '(if context.hour then true else false)']); // type errors
    case 43: return r.pick(['false && principal.nope', 'true || principal.nope', 'principal.nope || true', 'principal has nope']);
    case 44: return `{ a: ${n}, b: "x" } ${r.pick(['==', '!='])} { b: "x", a: ${r.int(-1, 8)} }`;
    case 45: return `${r.pick(['context', 'resource', 'principal'])} == ${r.pick(['principal', 'resource', ref(r.pick(u.services))])}`;
    case 46: return `datetime(${JSON.stringify(r.pick(DATES))}).offset(duration(${r.pick(['"9223372036854775807ms"', '"1d"', '"-106751991167d"'])})) > context.now`;
    case 47: return `ip(${JSON.stringify(r.pick(['10.1.2.3/8', '::1', '192.168.0.1', 'ff02::1']))}) == ip(context.ip)`;
    case 48: return `context.now.toDate() ${r.pick(['<', '=='])} context.now`;
    case 49: return `duration(${JSON.stringify(r.pick(DURS))}) ${r.pick(['<', '>=', '=='])} duration(${JSON.stringify(r.pick(DURS))})`;
    case 50: return `resource.service has ${r.pick(['tier', 'public', 'limits'])} && resource.service.${r.pick(['tier == "gold"', 'public', 'limits.rpm > 100'])}`;
    default: return `context has now && context.now.toDate() == datetime("2024-10-15")`;
  }
}

function expr(r: Rng, u: Universe, depth: number): string {
  if (depth <= 0 || r.chance(0.55)) return atom(r, u);
  switch (r.int(0, 3)) {
    case 0: return `(${expr(r, u, depth - 1)} && ${expr(r, u, depth - 1)})`;
    case 1: return `(${expr(r, u, depth - 1)} || ${expr(r, u, depth - 1)})`;
    case 2: return `!(${expr(r, u, depth - 1)})`;
    default: return `(if ${expr(r, u, depth - 1)} then ${expr(r, u, depth - 1)} else ${expr(r, u, depth - 1)})`;
  }
}

function policyText(r: Rng, u: Universe, slot: boolean, effect: 'permit' | 'forbid'): string {
  const scope = `${principalScope(r, u, slot)}, ${actionScope(r)}, ${resourceScope(r, u, slot)}`;
  const clauses = Array.from({ length: r.int(0, 2) }, () => ` ${r.chance(0.75) ? 'when' : 'unless'} { ${expr(r, u, 2)} }`);
  return `${effect}(${scope})${clauses.join('')};`;
}

function randomContext(r: Rng): Record<string, CedarValueJson> {
  const c: Record<string, CedarValueJson> = {};
  if (r.chance(0.9)) {
    c.ip = r.pick(['10.1.2.3', '10.200.0.9', '192.168.1.20', '172.16.5.4', '127.0.0.1', '8.8.8.8', 'not-an-ip', '::1']);
  }
  if (r.chance(0.9)) {
    const day = r.int(1, 28).toString().padStart(2, '0');
    const hh = r.int(0, 23).toString().padStart(2, '0');
    c.now = { __extn: { fn: 'datetime', arg: `2024-${r.pick(['01', '06', '10', '12'])}-${day}T${hh}:${r.pick(['00', '35'])}:00Z` } };
  }
  if (r.chance(0.85)) c.mfa = r.chance(0.5);
  if (r.chance(0.85)) c.hour = r.int(0, 23);
  c.headers = r.chance(0.3) ? { 'x-debug': r.pick(['1', '0']) } : {};
  if (r.chance(0.7)) c.peer = { __extn: { fn: 'ip', arg: r.pick(['10.0.0.1', '192.168.3.3', '127.0.0.1']) } };
  return c;
}

function randomRequest(r: Rng, u: Universe): GenRequest {
  const who = [...u.users, ...u.clients];
  const principal = r.chance(0.05) ? GHOST_USER : r.chance(0.05) ? r.pick(u.roles) : r.pick(who);
  const action = uid('Action', r.chance(0.07) ? r.pick(GROUPS) : r.pick(METHODS));
  const resource = r.chance(0.04) ? uid('Route', 'ghost') : r.chance(0.08) ? r.pick(u.services) : r.pick(u.routes);
  return { principal, action, resource, context: randomContext(r) };
}

export interface ScenarioOptions { policies: number; requests: number }

/** A random policy set over a small random universe, and requests aimed at that universe. */
export function randomScenario(r: Rng, opts: ScenarioOptions): GenScenario {
  const u = buildUniverse(r);
  const policies: GenPolicy[] = [];
  for (let i = 0; i < opts.policies; i++) {
    policies.push({ id: `p${i}`, text: policyText(r, u, false, r.chance(0.3) ? 'forbid' : 'permit') });
  }
  const templates: GenPolicy[] = [];
  const links: GenLink[] = [];
  if (r.chance(0.25)) {
    for (let t = r.int(1, 2); t > 0; t--) {
      const id = `t${t}`;
      const text = policyText(r, u, true, r.chance(0.2) ? 'forbid' : 'permit');
      templates.push({ id, text });
      for (let l = r.int(1, 3); l > 0; l--) {
        const values: Record<string, Uid> = {};
        if (text.includes('?principal')) values['?principal'] = r.pick([...u.roles, ...u.users]);
        if (text.includes('?resource')) values['?resource'] = r.pick([...u.services, ...u.routes]);
        links.push({ templateId: id, newId: `${id}-l${l}`, values });
      }
    }
  }
  const requests = Array.from({ length: opts.requests }, () => randomRequest(r, u));
  return { policies, templates, links, entities: u.entities, requests };
}

/** The same scenario in cedar-wasm's PolicySet shape (ids preserved, so reasons compare by id). */
export function toCedarWasmPolicySet(s: Pick<GenScenario, 'policies' | 'templates' | 'links'>): CedarWasmPolicySet {
  return {
    staticPolicies: Object.fromEntries(s.policies.map((p) => [p.id, p.text])),
    templates: Object.fromEntries(s.templates.map((t) => [t.id, t.text])),
    templateLinks: s.links.map((l) => ({ templateId: l.templateId, newId: l.newId, values: l.values })),
  };
}

/** The same policies compiled by our engine: parsed from the same text, same ids, links linked. */
export function toCompiledPolicies(s: Pick<GenScenario, 'policies' | 'templates' | 'links'>): CompiledPolicy[] {
  const one = (text: string) => {
    const [p, ...rest] = parsePolicies(text);
    if (p === undefined || rest.length > 0) throw new Error(`expected one statement: ${text}`);
    return p;
  };
  const out = s.policies.map((p) => compilePolicy(p.id, one(p.text).est));
  for (const l of s.links) {
    const t = s.templates.find((x) => x.id === l.templateId);
    if (t === undefined) throw new Error(`link ${l.newId} names unknown template ${l.templateId}`);
    const slots = Object.fromEntries(Object.entries(l.values).map(([k, u]) => [k, new EntityUID(u.type, u.id)]));
    out.push(compilePolicy(l.newId, one(t.text).est, { slots, templateId: t.id }));
  }
  return out;
}

/** Our entity store for the scenario's entity JSON (serialized first, as a file would be). */
export function toEntityStore(entities: EntityJson[]): MemoryEntityStore {
  return MemoryEntityStore.fromJson(JSON.stringify(entities));
}

/** Our request for a generated one; the context goes through the same JSON loader as entities. */
export function toRequest(q: GenRequest): Request {
  const e = (u: Uid) => new EntityUID(u.type, u.id);
  return makeRequest(e(q.principal), e(q.action), e(q.resource), recordFromJson(q.context, 'context'));
}
