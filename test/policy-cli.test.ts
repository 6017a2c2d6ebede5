// The `portcullis policy` commands, run as real child processes the way an operator runs them, on the
// gateway-shaped example in test/fixtures/policy/gateway (the one docs/policy.md shows).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFamily, type FamilyRun } from './helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/policy/gateway', import.meta.url));

type Run = FamilyRun;

let root: string;
let gw: string;

const portcullis = commandFamily('policy.ts', 'registerPolicyCommands', () => root);

function expectError(run: Run, code: string): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^error ${code}: \\S`));
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

const ALICE_CONTEXT = JSON.stringify({ ip: { __extn: { fn: 'ip', arg: '10.1.2.3' } }, mfa: false, authn: 'password', time: { __extn: { fn: 'datetime', arg: '2025-03-04T10:00:00Z' } } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'portcullis-policy-cli-'));
  gw = join(root, 'gateway');
  await cp(FIXTURE, gw, { recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('portcullis policy validate', () => {
  it('accepts the example with its schema and links', async () => {
    const run = await portcullis('policy', 'validate', join(gw, 'policies'), '--schema', join(gw, 'schema.cedarschema'), '--links', join(gw, 'links.json'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok: 5 policies, 1 template, 1 link\n');
    expect(run.code).toBe(0);
  });

  it('prints every problem as FILE:LINE:COL  policyId  message with a hint, and exits 1', async () => {
    const dir = join(root, 'broken');
    await cp(join(gw, 'policies'), dir, { recursive: true });
    await writeFile(join(dir, 'zz-typo.cedar'), '@id("typo")\npermit (principal, action, resource)\nwhen { context.mfa == };\n');
    await writeFile(join(dir, 'zz-dup.cedar'), '@id("users-read-public") permit (principal, action, resource);\n');
    const run = await portcullis('policy', 'validate', dir);
    expectError(run, 'PCL_POLICY_PARSE');
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${join(dir, 'zz-typo.cedar')}:3:23  typo  unexpected token \`}\``);
    expect(run.stderr).toMatch(/\n {4}hint: \S/);
  });

  it('reports schema violations with file, line and policy id', async () => {
    const dir = join(root, 'invalid');
    await cp(join(gw, 'policies'), dir, { recursive: true });
    await writeFile(join(dir, 'zz.cedar'), '@id("bad-attr")\npermit (principal, action in Action::"read", resource)\nwhen { resource.owner == principal };\n');
    const run = await portcullis('policy', 'validate', dir, '--schema', join(gw, 'schema.cedarschema'), '--links', join(gw, 'links.json'));
    expectError(run, 'PCL_POLICY_VALIDATION');
    expect(run.stderr).toMatch(new RegExp(`${join(dir, 'zz.cedar').replace(/[/.]/g, '\\$&')}:3:8  bad-attr  .*owner`));
  });
});

describe('portcullis policy test', () => {
  it('passes the example cases', async () => {
    const run = await portcullis('policy', 'test', join(gw, 'cases.yaml'));
    expect(run.stderr).toBe('');
    expect(run.stdout.match(/^PASS {2}/gm)).toHaveLength(7);
    expect(run.stdout).toMatch(/^7 passed, 0 failed \(7 cases, 6 policies, version sha256:[0-9a-f]{64}\)$/m);
    expect(run.code).toBe(0);
  });

  it('reports failing cases with what differed, and exits 1', async () => {
    const cases = join(gw, 'failing.yaml');
    await writeFile(
      cases,
      [
        'policies: policies',
        'entities: entities.json',
        'schema: schema.cedarschema',
        'cases:',
        '  - name: still passes',
        '    principal: User::"bob"',
        '    action: GET',
        '    resource: Route::"admin-users"',
        '    context: { ip: { __extn: { fn: ip, arg: "10.0.0.1" } }, mfa: true, authn: password, time: { __extn: { fn: datetime, arg: "2025-01-01" } } }',
        '    expect: deny',
        '  - name: wrong expectation',
        '    principal: User::"alice"',
        '    action: GET',
        '    resource: Route::"admin-users"',
        '    context: { ip: { __extn: { fn: ip, arg: "10.0.0.1" } }, mfa: true, authn: password, time: { __extn: { fn: datetime, arg: "2025-01-01" } } }',
        '    expect: deny',
        '    reasons: [admin-api-internal-only]',
      ].join('\n'),
    );
    const run = await portcullis('policy', 'test', cases);
    expectError(run, 'PCL_POLICY_TEST_FAILED');
    expect(run.stdout).toContain('PASS  still passes\n');
    expect(run.stdout).toContain(`FAIL  wrong expectation  (${cases}:11)\n      expected deny, got allow (reasons: admins-manage-admin-api)\n      expected reasons admin-api-internal-only, got admins-manage-admin-api\n`);
    expect(run.stdout).toContain('1 passed, 1 failed');
  });

  it('refuses a malformed cases file at the line of the problem', async () => {
    const cases = join(gw, 'malformed.yaml');
    await writeFile(cases, 'policies: policies\ncases:\n  - name: x\n    principal: alice\n    action: GET\n    resource: Route::"docs"\n    expect: allow\n');
    const run = await portcullis('policy', 'test', cases);
    expectError(run, 'PCL_POLICY_CASES');
    expect(run.stderr).toContain(`${cases}:4:16  case #0: principal: "alice" is not an entity uid`);
  });
});

describe('portcullis policy explain', () => {
  it('prints the decision, the determining policies and the clause that failed', async () => {
    const common = ['--policies', join(gw, 'policies'), '--entities', join(gw, 'entities.json'), '--schema', join(gw, 'schema.cedarschema'), '--links', join(gw, 'links.json'), '--context', ALICE_CONTEXT];
    const run = await portcullis('policy', 'explain', ...common, '--principal', 'User::"alice"', '--action', 'Action::"GET"', '--resource', 'Route::"admin-users"');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const roles = join(gw, 'policies', 'roles.cedar');
    const reports = join(gw, 'policies', 'routes', 'reports.cedar');
    expect(run.stdout).toBe(
      [
        'decision: deny',
        'determining policies: none (no permit applied: denied by default)',
        'erroring policies: none',
        'policies whose scope matched but a condition failed:',
        `  admin-api-internal-only  forbid  ${join(gw, 'policies', 'forbid.cedar')}:3:1`,
        `    true: unless { context.ip.isInRange(ip("10.0.0.0/8")) }  (${join(gw, 'policies', 'forbid.cedar')}:9:1)`,
        `  admins-manage-admin-api  permit  ${roles}:3:1`,
        `    false: when { context.mfa }  (${roles}:9:1)`,
        `  finance-reads-reports  permit  ${reports}:3:1`,
        `    false: when { resource.tags.contains("reports") && principal.department == "finance" }  (${reports}:9:1)`,
        '3 other policies did not match the principal, action or resource',
        '',
      ].join('\n'),
    );
    const allowed = await portcullis('policy', 'explain', ...common, '--principal', 'User::"bob"', '--action', 'HEAD', '--resource', 'Route::"docs"');
    expect(allowed.stdout).toContain(`decision: allow\ndetermining policies:\n  users-read-public  permit  ${roles}:12:1\n`);
  });

  it('refuses a malformed uid or context', async () => {
    const run = await portcullis('policy', 'explain', '--policies', join(gw, 'policies'), '--principal', 'alice', '--action', 'GET', '--resource', 'Route::"docs"');
    expectError(run, 'PCL_POLICY_REQUEST');
    expect(run.stderr).toContain('--principal');
    const ctx = await portcullis('policy', 'explain', '--policies', join(gw, 'policies'), '--principal', 'User::"a"', '--action', 'GET', '--resource', 'Route::"docs"', '--context', '{"mfa": tru}');
    expectError(ctx, 'PCL_POLICY_JSON_SYNTAX');
  });
});

describe('portcullis policy format', () => {
  it('--check fails on unformatted input and changes nothing; --write formats it; --check then passes', async () => {
    const file = join(root, 'fmt', 'messy.cedar');
    await cp(join(gw, 'policies'), join(root, 'fmt'), { recursive: true });
    const messy = '// keep me\n@id("m")   permit(principal,action,resource)when{context.mfa==true};\n';
    await writeFile(file, messy);
    const check = await portcullis('policy', 'format', join(root, 'fmt'), '--check');
    expectError(check, 'PCL_POLICY_UNFORMATTED');
    expect(check.stdout).toBe(`not formatted: ${file}\n`);
    expect(await readFile(file, 'utf8')).toBe(messy);

    const print = await portcullis('policy', 'format', file);
    expect(print.stdout).toBe('// keep me\n@id("m")\npermit (principal, action, resource)\nwhen { context.mfa == true };\n');
    expect(await readFile(file, 'utf8')).toBe(messy);

    const write = await portcullis('policy', 'format', join(root, 'fmt'), '--write');
    expect(write.stdout).toBe(`formatted ${file}\n1 of 4 files changed\n`);
    expect(await readFile(file, 'utf8')).toBe(print.stdout);
    const again = await portcullis('policy', 'format', join(root, 'fmt'), '--check');
    expect(again.stdout).toBe('ok: 4 files formatted\n');
    expect(again.code).toBe(0);
  });

  it('refuses to format broken text, with its position', async () => {
    const file = join(root, 'broken-format.cedar');
    await writeFile(file, 'permit(principal, action, resource) when { 1 + };');
    const run = await portcullis('policy', 'format', file, '--check');
    expectError(run, 'PCL_POLICY_PARSE');
    expect(run.stderr).toContain(`${file}:1:48`);
  });
});
