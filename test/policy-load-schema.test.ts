// Strict validation against a Cedar schema: every error names the policy file, line and policy id.
import { describe, expect, it } from 'vitest';
import { buildPolicySet, PolicyLoadError, type PolicyInputs } from '../policy/load/index.js';

const SCHEMA = `entity Role;
entity User in [Role] { department: String };
entity Route { path: String };
type Ctx = { mfa: Bool, ip: ipaddr };
action read;
action "GET" in [read] appliesTo { principal: [User], resource: [Route], context: Ctx };
`;

function fails(inputs: PolicyInputs): PolicyLoadError {
  try {
    buildPolicySet(inputs);
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected the load to fail');
}

const schema = (content: string, file = 'gateway.cedarschema'): PolicyInputs['schema'] => ({ file, content });

describe('schema validation (strict mode)', () => {
  it('accepts policies that match the schema and returns its action entities', () => {
    const set = buildPolicySet({
      sources: [{ file: 'p.cedar', content: '@id("ok") permit(principal in Role::"admin", action in Action::"read", resource) when { context.mfa && resource.path like "/admin/*" };' }],
      schema: schema(SCHEMA),
    });
    expect(set.policies.map((p) => p.id)).toEqual(['ok']);
    expect(set.actions).toEqual([
      { uid: { type: 'Action', id: 'GET' }, parents: [{ type: 'Action', id: 'read' }] },
      { uid: { type: 'Action', id: 'read' }, parents: [] },
    ]);
  });

  it('reports each violation at its file, line and column with the policy id', () => {
    const err = fails({
      sources: [
        { file: 'policies/a.cedar', content: '@id("typo")\npermit(principal, action == Action::"GET", resource)\nwhen { resource.pth == "/x" };' },
        { file: 'policies/b.cedar', content: '// types\n@id("type-mismatch") permit(principal, action == Action::"GET", resource) when { context.mfa == 1 };\npermit(principal, action == Action::"GET", resource) when { principal.department > 1 };' },
      ],
      schema: schema(SCHEMA),
    });
    expect(err.code).toBe('PCL_POLICY_VALIDATION');
    const placed = err.issues.map((i) => [i.file, i.line, i.policyId]).sort();
    expect(placed).toEqual([
      ['policies/a.cedar', 3, 'typo'],
      ['policies/b.cedar', 2, 'type-mismatch'],
      ['policies/b.cedar', 3, 'policies/b.cedar#1'],
    ]);
    const typo = err.issues.find((i) => i.policyId === 'typo');
    expect(typo?.column).toBe(8);
    expect(typo?.message).toContain('attribute `pth`');
    expect(typo?.message).not.toContain('for policy');
    expect(typo?.hint).toContain('path');
  });

  it('reports a broken schema at its own line and column', () => {
    const err = fails({ sources: [{ file: 'p.cedar', content: 'permit(principal, action, resource);' }], schema: schema('entity User {\n  name: String,\n  age: Lng,\n};\naction "GET" appliesTo { principal: [User], resource: [User] };') });
    expect(err.code).toBe('PCL_POLICY_SCHEMA');
    expect(err.issues[0]).toMatchObject({ file: 'gateway.cedarschema' });
    expect(err.issues[0]?.message).toContain('Lng');
    const syntax = fails({ sources: [{ file: 'p.cedar', content: 'permit(principal, action, resource);' }], schema: schema('entity User {\n  name String\n};') });
    expect(syntax.issues[0]).toMatchObject({ code: 'PCL_POLICY_SCHEMA', line: 2, column: 8 });
  });

  it('accepts the JSON schema format', () => {
    const json = JSON.stringify({ '': { entityTypes: { User: {}, Route: {} }, actions: { GET: { appliesTo: { principalTypes: ['User'], resourceTypes: ['Route'] } } } } });
    const set = buildPolicySet({ sources: [{ file: 'p.cedar', content: 'permit(principal is User, action == Action::"GET", resource is Route);' }], schema: schema(json, 'schema.json') });
    expect(set.policies).toHaveLength(1);
    const err = fails({ sources: [{ file: 'p.cedar', content: 'permit(principal is Admin, action, resource);' }], schema: schema(json, 'schema.json') });
    expect(err.code).toBe('PCL_POLICY_VALIDATION');
  });

  it('refuses a schema nested deeper than the engine can parse', () => {
    const deep = `entity U { a: ${'{ a: '.repeat(1000)}Long${' }'.repeat(1000)} };`;
    const err = fails({ sources: [{ file: 'p.cedar', content: 'permit(principal, action, resource);' }], schema: schema(deep) });
    expect(err.code).toBe('PCL_POLICY_TOO_COMPLEX');
    expect(err.issues[0]?.line).toBe(1);
    // The engine still works.
    expect(buildPolicySet({ sources: [{ file: 'p.cedar', content: 'permit(principal, action, resource);' }], schema: schema(SCHEMA) }).policies).toHaveLength(1);
  });

  it('keeps validator warnings without failing', () => {
    const set = buildPolicySet({
      sources: [{ file: 'p.cedar', content: '@id("never") permit(principal is User, action == Action::"GET", resource is User);' }],
      schema: schema(SCHEMA),
    });
    expect(new Set(set.warnings.map((w) => w.policyId))).toEqual(new Set(['never']));
    expect(set.warnings[0]).toMatchObject({ file: 'p.cedar', line: 1 });
  });
});
