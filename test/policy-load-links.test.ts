// Templates and template links: good links become policies with the slots filled in; every bad link
// class is refused at the line of the link, and nothing half-linked is returned.
import { describe, expect, it } from 'vitest';
import { buildPolicySet, PolicyLoadError, type LoadedPolicySet } from '../policy/load/index.js';

const TEMPLATES = `@id("owner")
@note("route owners")
permit(principal == ?principal, action, resource == ?resource);

@id("group-member")
permit(principal in ?principal, action == Action::"GET", resource) when { context.mfa };

@id("static") forbid(principal, action, resource) unless { context.internal };
`;

const SCHEMA = `entity Role; entity User in [Role]; entity Route;
action "GET" appliesTo { principal: [User], resource: [Route], context: { mfa: Bool, internal: Bool } };`;

function load(links: unknown, opts: { raw?: string; schema?: boolean } = {}): LoadedPolicySet {
  return buildPolicySet({
    sources: [{ file: 'policies/t.cedar', content: TEMPLATES }],
    links: { file: 'links.json', content: opts.raw ?? JSON.stringify(links, null, 2) },
    ...(opts.schema === true ? { schema: { file: 'schema.cedarschema', content: SCHEMA } } : {}),
  });
}

function fails(links: unknown, opts: { raw?: string; schema?: boolean } = {}): PolicyLoadError {
  try {
    load(links, opts);
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected the load to fail');
}

const alice = { type: 'User', id: 'alice' };
const report = { type: 'Route', id: 'report' };

describe('templates and links', () => {
  it('keeps templates apart from policies and links them with the slots filled in', () => {
    const set = load([
      { templateId: 'owner', newId: 'alice-owns-report', values: { '?principal': alice, '?resource': { __entity: report } } },
      { templateId: 'group-member', newId: 'admins-get', values: { '?principal': 'Role::"admin"' } },
    ], { schema: true });
    expect(set.templates.map((t) => [t.id, t.slots])).toEqual([
      ['owner', ['?principal', '?resource']],
      ['group-member', ['?principal']],
    ]);
    expect(set.policies.map((p) => p.id)).toEqual(['static', 'alice-owns-report', 'admins-get']);
    expect(set.linkCount).toBe(2);
    const linked = set.policies[1];
    expect(linked?.est.principal).toEqual({ op: '==', entity: alice });
    expect(linked?.est.resource).toEqual({ op: '==', entity: report });
    expect(linked?.annotations).toEqual({ id: 'owner', note: 'route owners' });
    expect(linked?.link).toEqual({ templateId: 'owner', values: { '?principal': alice, '?resource': report } });
    expect(linked?.source).toEqual({ file: 'links.json', line: 2, column: 3 });
    expect(set.policies[2]?.est.principal).toEqual({ op: 'in', entity: { type: 'Role', id: 'admin' } });
    // The template itself is untouched.
    expect(set.templates[0]?.est.principal).toEqual({ op: '==', slot: '?principal' });
  });

  it('refuses a link to an unknown template, naming the templates there are', () => {
    const err = fails([{ templateId: 'ownr', newId: 'x', values: { '?principal': alice } }]);
    expect(err.code).toBe('PCL_POLICY_LINK');
    expect(err.issues[0]).toMatchObject({ file: 'links.json', line: 3, policyId: 'x' });
    expect(err.issues[0]?.message).toContain('unknown template "ownr"');
    expect(err.issues[0]?.hint).toContain('"owner"');
  });

  it('refuses a static policy used as a template', () => {
    expect(fails([{ templateId: 'static', newId: 'x', values: {} }]).issues[0]?.message).toContain('unknown template "static"');
  });

  it('refuses a missing slot, an extra slot and a misspelled slot, each at its line', () => {
    const err = fails([
      { templateId: 'owner', newId: 'missing', values: { '?principal': alice } },
      { templateId: 'group-member', newId: 'extra', values: { '?principal': alice, '?resource': report } },
      { templateId: 'group-member', newId: 'spelling', values: { principal: alice } },
    ]);
    expect(err.issues.map((i) => [i.policyId, i.message.replace(/^link #\d+: /, '').split(':')[0]])).toEqual([
      ['missing', 'missing slot'],
      ['extra', 'extra slot'],
      ['spelling', 'unknown slot "principal"'],
      ['spelling', 'missing slot'],
    ]);
    expect(err.issues[1]?.line).toBe(20); // the "?resource" value of the second link
  });

  it('refuses slot values that are not entity uids', () => {
    const err = fails([{ templateId: 'group-member', newId: 'bad', values: { '?principal': { type: 'not a type', id: 'x' } } }]);
    expect(err.issues[0]?.message).toContain('not a valid entity type name');
    expect(fails([{ templateId: 'group-member', newId: 'bad', values: { '?principal': 'alice' } }]).issues[0]?.message).toContain('is not an entity uid');
  });

  it('refuses duplicate link ids and link ids that collide with a policy or template', () => {
    const err = fails([
      { templateId: 'group-member', newId: 'dup', values: { '?principal': alice } },
      { templateId: 'group-member', newId: 'dup', values: { '?principal': alice } },
      { templateId: 'group-member', newId: 'static', values: { '?principal': alice } },
      { templateId: 'group-member', newId: 'owner', values: { '?principal': alice } },
    ]);
    expect(err.code).toBe('PCL_POLICY_DUPLICATE_ID');
    expect(err.issues.map((i) => [i.policyId, i.message.replace(/^link #\d+: /, '')])).toEqual([
      ['dup', 'id "dup" is already used at links.json:2:3'],
      ['static', 'id "static" is already used at policies/t.cedar:8:1'],
      ['owner', 'id "owner" is already used at policies/t.cedar:1:1'],
    ]);
  });

  it('refuses malformed links files with the line of the problem', () => {
    expect(fails(undefined, { raw: '[\n  { "templateId": "owner",\n    "newId": "a",, }\n]' }).issues[0]).toMatchObject({ code: 'PCL_POLICY_LINK', line: 3 });
    expect(fails(undefined, { raw: '[{ "templateId": "owner", "templateId": "owner" }]' }).issues[0]?.message).toMatch(/unique/);
    expect(fails({ templateId: 'owner' }).issues[0]?.message).toContain('must hold an array');
    expect(fails([{ templateId: 'owner', newId: 'a', values: {}, extra: 1 }]).issues[0]?.message).toContain('unknown key "extra"');
    expect(fails([{ templateId: 'owner', values: {} }]).issues[0]?.message).toContain('"newId" must be a non-empty string');
  });

  it('validates linked policies against the schema and reports errors at the link', () => {
    const err = fails([{ templateId: 'owner', newId: 'wrong-type', values: { '?principal': { type: 'Robot', id: 'r2' }, '?resource': report } }], { schema: true });
    expect(err.code).toBe('PCL_POLICY_VALIDATION');
    expect(err.issues[0]).toMatchObject({ file: 'links.json', line: 2, policyId: 'wrong-type' });
    expect(err.issues[0]?.message).toContain('Robot');
    expect(err.issues[0]?.message).toContain('template "owner" at policies/t.cedar:1:1');
  });
});
