// The gateway-shaped workload of `npm run bench -- policy`, in two equivalent forms: Cedar (for our
// engine and cedar-wasm) and a casbin RBAC-with-ABAC model (for node-casbin).
//
// Per service: three roles (admin in editor in viewer), four routes, nine method-level permits, some
// with ABAC conditions on context, principal or resource attributes. One global forbid: writes from
// outside 10.0.0.0/8. Policies = 9 * services + 1, so 1, 11, 111 and 1111 services give exactly
// 10, 100, 1,000 and 10,000 policies.

import type { CedarValueJson, EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import { ACTION_ENTITIES, Rng, ref, uid, type GenPolicy, type GenRequest, type Uid } from '../../test/helpers/policy-gen.js';

export const POLICIES_PER_SERVICE = 9;
const ROUTES = ['items', 'orders', 'public', 'admin'] as const;
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** One casbin policy line's condition, mirroring the Cedar `when`/`unless` it stands for. */
type CasbinCond = 'none' | 'mfa' | 'owner' | 'level3' | 'mfa_level5' | 'hours' | 'external';

interface Rule {
  cedar: string;
  casbin: { sub: string; obj: string; act: string; cond: CasbinCond; eft: 'allow' | 'deny' };
}

export interface BenchRequest extends GenRequest {
  /** The same request as casbin's flat request tuple (sub, path, act, mfa, owner, level, hour, ip). */
  casbin: [string, string, string, boolean, string, number, number, string];
  /** Entities a cedar-wasm caller would slice for this request (principal, resource, actions + ancestors). */
  slice: EntityJson[];
}

export interface Workload {
  services: number;
  policies: GenPolicy[];
  entities: EntityJson[];
  requests: BenchRequest[];
  casbinModel: string;
  casbinPolicy: string;
}

export const CASBIN_MODEL = `
[request_definition]
r = sub, path, act, mfa, owner, level, hour, ip

[policy_definition]
p = sub, obj, act, cond, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.sub == "*" || g(r.sub, p.sub)) && keyMatch(r.path, p.obj) && regexMatch(r.act, p.act) && \
  (p.cond == "none" || \
   (p.cond == "mfa" && r.mfa == true) || \
   (p.cond == "owner" && r.owner == r.sub) || \
   (p.cond == "level3" && r.level >= 3) || \
   (p.cond == "mfa_level5" && r.mfa == true && r.level >= 5) || \
   (p.cond == "hours" && r.hour >= 8 && r.hour < 18) || \
   (p.cond == "external" && !ipMatch(r.ip, "10.0.0.0/8")))
`;

const READ = '^(GET|HEAD)$';
const WRITE = '^(POST|PUT|PATCH|DELETE)$';

function serviceRules(s: string): Rule[] {
  const role = (r: string): string => ref(uid('Role', `${s}:${r}`));
  const route = (r: string): string => ref(uid('Route', `${s}:${r}`));
  const svc = ref(uid('Service', s));
  const sub = (r: string): string => `${s}:${r}`;
  const all = `/${s}/*`;
  return [
    { cedar: `permit(principal in ${role('viewer')}, action in Action::"read", resource in ${svc});`,
      casbin: { sub: sub('viewer'), obj: all, act: READ, cond: 'none', eft: 'allow' } },
    { cedar: `permit(principal in ${role('editor')}, action in [Action::"POST", Action::"PUT"], resource in ${svc}) when { context.mfa == true };`,
      casbin: { sub: sub('editor'), obj: all, act: '^(POST|PUT)$', cond: 'mfa', eft: 'allow' } },
    { cedar: `permit(principal in ${role('admin')}, action == Action::"DELETE", resource in ${svc}) when { context.mfa == true };`,
      casbin: { sub: sub('admin'), obj: all, act: '^DELETE$', cond: 'mfa', eft: 'allow' } },
    { cedar: `permit(principal, action in Action::"read", resource == ${route('public')});`,
      casbin: { sub: '*', obj: `/${s}/public`, act: READ, cond: 'none', eft: 'allow' } },
    { cedar: `permit(principal in ${role('editor')}, action == Action::"PATCH", resource in ${svc}) when { resource.owner == principal };`,
      casbin: { sub: sub('editor'), obj: all, act: '^PATCH$', cond: 'owner', eft: 'allow' } },
    { cedar: `permit(principal in ${role('admin')}, action in Action::"read", resource == ${route('admin')}) when { principal.level >= 3 };`,
      casbin: { sub: sub('admin'), obj: `/${s}/admin`, act: READ, cond: 'level3', eft: 'allow' } },
    { cedar: `permit(principal in ${role('admin')}, action in Action::"write", resource == ${route('admin')}) when { context.mfa == true && principal.level >= 5 };`,
      casbin: { sub: sub('admin'), obj: `/${s}/admin`, act: WRITE, cond: 'mfa_level5', eft: 'allow' } },
    { cedar: `permit(principal in ${role('viewer')}, action == Action::"OPTIONS", resource in ${svc});`,
      casbin: { sub: sub('viewer'), obj: all, act: '^OPTIONS$', cond: 'none', eft: 'allow' } },
    { cedar: `permit(principal in ${role('editor')}, action == Action::"GET", resource == ${route('admin')}) when { context.hour >= 8 && context.hour < 18 };`,
      casbin: { sub: sub('editor'), obj: `/${s}/admin`, act: '^GET$', cond: 'hours', eft: 'allow' } },
  ];
}

const GLOBAL_FORBID: Rule = {
  cedar: 'forbid(principal, action in Action::"write", resource) unless { ip(context.ip).isInRange(ip("10.0.0.0/8")) };',
  casbin: { sub: '*', obj: '/*', act: WRITE, cond: 'external', eft: 'deny' },
};

const key = (u: Uid): string => `${u.type}\u0000${u.id}`;

/** Principal, resource and actions of one request plus all their ancestors, as cedar-wasm needs them. */
function sliceFor(byKey: Map<string, EntityJson>, roots: Uid[]): EntityJson[] {
  const out = new Map<string, EntityJson>();
  const stack = [...roots];
  while (stack.length > 0) {
    const u = stack.pop() as Uid;
    const e = byKey.get(key(u));
    if (e === undefined || out.has(key(u))) continue;
    out.set(key(u), e);
    for (const p of e.parents) stack.push('__entity' in p ? p.__entity : p);
  }
  return [...out.values()];
}

/** The workload for `policyCount` policies (must be 9k + 1) and `requestCount` sampled requests. */
export function gatewayWorkload(policyCount: number, requestCount: number, seed = 7): Workload {
  const services = (policyCount - 1) / POLICIES_PER_SERVICE;
  if (!Number.isInteger(services) || services < 1) throw new Error(`policy count must be 9k+1, got ${policyCount}`);
  const r = new Rng(seed);
  const svcIds = Array.from({ length: services }, (_, i) => `svc${i}`);
  const rules = [...svcIds.flatMap(serviceRules), GLOBAL_FORBID];
  const policies = rules.map((x, i) => ({ id: `p${i}`, text: x.cedar }));

  const entities: EntityJson[] = [...ACTION_ENTITIES];
  const groupings: string[] = [];
  const users = Array.from({ length: Math.max(20, services) }, (_, i) => uid('User', `user${i}`));
  for (const s of svcIds) {
    entities.push({ uid: uid('Service', s), attrs: { name: s }, parents: [] });
    entities.push({ uid: uid('Role', `${s}:viewer`), attrs: {}, parents: [] });
    entities.push({ uid: uid('Role', `${s}:editor`), attrs: {}, parents: [uid('Role', `${s}:viewer`)] });
    entities.push({ uid: uid('Role', `${s}:admin`), attrs: {}, parents: [uid('Role', `${s}:editor`)] });
    groupings.push(`g, ${s}:editor, ${s}:viewer`, `g, ${s}:admin, ${s}:editor`);
    for (const rt of ROUTES) {
      const attrs: Record<string, CedarValueJson> = {
        path: `/${s}/${rt}`, service: { __entity: { type: 'Service', id: s } },
        owner: { __entity: { type: 'User', id: r.pick(users).id } },
      };
      entities.push({ uid: uid('Route', `${s}:${rt}`), attrs, parents: [uid('Service', s)] });
    }
  }
  const userRoles = new Map<string, string[]>();
  const userLevel = new Map<string, number>();
  for (const u of users) {
    const roles = Array.from({ length: r.int(1, 3) }, () => `${r.pick(svcIds)}:${r.pick(['viewer', 'editor', 'admin'])}`);
    userRoles.set(u.id, roles);
    userLevel.set(u.id, r.int(0, 9));
    entities.push({ uid: u, attrs: { level: userLevel.get(u.id) as number }, parents: roles.map((x) => uid('Role', x)) });
    for (const x of roles) groupings.push(`g, ${u.id}, ${x}`);
  }

  const byKey = new Map(entities.map((e) => [key('__entity' in e.uid ? e.uid.__entity : e.uid), e]));
  const requests: BenchRequest[] = [];
  for (let i = 0; i < requestCount; i++) {
    const user = r.pick(users);
    // Mostly requests to a service the user has a role in: a gateway mostly sees legitimate traffic.
    const svc = r.chance(0.8) ? (r.pick(userRoles.get(user.id) as string[]).split(':')[0] as string) : r.pick(svcIds);
    const rt = r.pick(ROUTES);
    const resource = uid('Route', `${svc}:${rt}`);
    const action = uid('Action', r.pick(METHODS));
    const mfa = r.chance(0.6);
    const hour = r.int(0, 23);
    const ip = r.chance(0.8) ? `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` : `192.168.${r.int(0, 255)}.${r.int(1, 254)}`;
    const route = byKey.get(key(resource)) as EntityJson;
    const owner = (route.attrs.owner as { __entity: Uid }).__entity.id;
    requests.push({
      principal: user, action, resource, context: { mfa, hour, ip },
      casbin: [user.id, `/${svc}/${rt}`, action.id, mfa, owner, userLevel.get(user.id) as number, hour, ip],
      slice: sliceFor(byKey, [user, resource, action]),
    });
  }
  const casbinPolicy = [
    ...rules.map((x) => `p, ${x.casbin.sub}, ${x.casbin.obj}, ${x.casbin.act}, ${x.casbin.cond}, ${x.casbin.eft}`),
    ...groupings,
  ].join('\n');
  return { services, policies, entities, requests, casbinModel: CASBIN_MODEL, casbinPolicy };
}
