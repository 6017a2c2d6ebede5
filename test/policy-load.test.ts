// Loading Cedar policy files: ids, annotations, file order, and a clear, placed error for every kind
// of bad input (syntax, duplicates, encoding, size, nesting the Cedar parser cannot survive).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPolicySet, loadPolicies, PolicyLoadError, type LoadedPolicySet, type PolicyLoadIssue } from '../policy/load/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-policy-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function files(entries: Record<string, string | Uint8Array>): Promise<void> {
  for (const [name, content] of Object.entries(entries)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

/** The PolicyLoadError a load throws (failing the test if it does not throw one). */
async function loadError(load: () => Promise<LoadedPolicySet> | LoadedPolicySet): Promise<PolicyLoadError> {
  try {
    await load();
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected the load to fail');
}

function inline(text: string | Uint8Array, file = 'inline.cedar'): LoadedPolicySet {
  return buildPolicySet({ sources: [{ file, content: text }] });
}

describe('loading a policy directory', () => {
  it('reads every *.cedar file recursively in sorted order, with @id and derived ids and annotations', async () => {
    await files({
      'b.cedar': '@id("b-first")\n@owner("team-b")\n@flag\npermit(principal, action, resource);\nforbid(principal, action, resource) when { context.blocked };\n',
      'a.cedar': '// comment only before\npermit(principal == User::"alice", action, resource);\n',
      'sub/z.cedar': 'permit(principal, action == Action::"GET", resource);',
      'sub/notes.txt': 'not a policy',
      '.hidden.cedar': 'this is not even Cedar',
      '.git/x.cedar': 'nor this',
    });
    const set = await loadPolicies(dir);
    expect(set.policies.map((p) => p.id)).toEqual(['a.cedar#0', 'b-first', 'b.cedar#1', 'sub/z.cedar#0']);
    expect(set.files).toEqual([join(dir, 'a.cedar'), join(dir, 'b.cedar'), join(dir, 'sub/z.cedar')]);
    const b = set.policies[1];
    expect(b?.annotations).toEqual({ id: 'b-first', owner: 'team-b', flag: null });
    expect(b?.source).toEqual({ file: join(dir, 'b.cedar'), line: 1, column: 1 });
    expect(set.policies[0]?.source.line).toBe(2);
    expect(set.policies[2]?.effect).toBe('forbid');
    expect(set.policies[2]?.est.conditions[0]?.kind).toBe('when');
    expect(set.policies[2]?.clauses).toEqual([{ kind: 'when', text: 'when { context.blocked }', file: join(dir, 'b.cedar'), line: 5, column: 37 }]);
    expect(set.version).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('gives the same version for the same files and a different one when a byte changes', async () => {
    await files({ 'a.cedar': 'permit(principal, action, resource);' });
    const first = await loadPolicies(dir);
    expect((await loadPolicies(dir)).version).toBe(first.version);
    await files({ 'a.cedar': 'permit(principal, action, resource); ' });
    expect((await loadPolicies(dir)).version).not.toBe(first.version);
  });

  it('follows symlinks to files but not to directories (no loops)', async () => {
    await files({ 'real/p.cedar': '@id("p") permit(principal, action, resource);' });
    await mkdir(join(dir, 'policies'));
    await symlink(join(dir, 'real/p.cedar'), join(dir, 'policies/p.cedar'));
    await symlink(join(dir, 'policies'), join(dir, 'policies/loop'));
    const set = await loadPolicies(join(dir, 'policies'));
    expect(set.policies.map((p) => p.id)).toEqual(['p']);
  });

  it('loads a single file, deriving ids from its base name', async () => {
    await files({ 'one.cedar': 'permit(principal, action, resource);\npermit(principal, action, resource);' });
    const set = await loadPolicies(join(dir, 'one.cedar'));
    expect(set.policies.map((p) => p.id)).toEqual(['one.cedar#0', 'one.cedar#1']);
  });

  it('refuses a directory without policy files and a missing path', async () => {
    await files({ 'readme.md': '# nothing' });
    expect((await loadError(() => loadPolicies(dir))).code).toBe('PCL_POLICY_EMPTY');
    const missing = await loadError(() => loadPolicies(join(dir, 'nope')));
    expect(missing.code).toBe('PCL_POLICY_READ');
    expect(missing.message).toContain('no such file or directory');
    // A device or FIFO is refused before it is opened (a FIFO would block the load forever).
    expect((await loadError(() => loadPolicies('/dev/null'))).message).toContain('is not a regular file');
  });
});

describe('policy ids', () => {
  it('reports a duplicate @id across files, naming both places', async () => {
    await files({ 'a.cedar': '\n@id("same")\npermit(principal, action, resource);', 'b.cedar': '// x\n\n  @id("same") forbid(principal, action, resource);' });
    const err = await loadError(() => loadPolicies(dir));
    expect(err.code).toBe('PCL_POLICY_DUPLICATE_ID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file: join(dir, 'b.cedar'), line: 3, column: 3, policyId: 'same' });
    expect(err.issues[0]?.message).toContain(`${join(dir, 'a.cedar')}:2:1`);
  });

  it('reports an @id that collides with a derived id', async () => {
    const err = await loadError(() => inline('permit(principal, action, resource);\n@id("inline.cedar#0") permit(principal, action, resource);'));
    expect(err.code).toBe('PCL_POLICY_DUPLICATE_ID');
    expect(err.issues[0]).toMatchObject({ line: 2, policyId: 'inline.cedar#0' });
  });

  it('refuses an empty or valueless @id', async () => {
    expect((await loadError(() => inline('@id("") permit(principal, action, resource);'))).issues[0]?.message).toContain('@id needs a non-empty value');
    expect((await loadError(() => inline('@id permit(principal, action, resource);'))).code).toBe('PCL_POLICY_PARSE');
  });
});

describe('broken policy text', () => {
  it('places each syntax error at file:line:col with the policy id, in every file', async () => {
    await files({
      'a.cedar': '@id("ok") permit(principal, action, resource);\n\n@id("broken")\npermit(principal, action, resource)\n  when { context.x == };\n',
      'b.cedar': 'permit(principal, action, resource) when { "é" + };\nforbid(principal, actoin, resource);',
    });
    const err = await loadError(() => loadPolicies(dir));
    expect(err.code).toBe('PCL_POLICY_PARSE');
    const summary = err.issues.map((i) => [i.file.slice(dir.length + 1), i.line, i.column, i.policyId]);
    // `é` is two bytes in UTF-8: the column must count it once.
    expect(summary).toEqual([
      ['a.cedar', 5, 23, 'broken'],
      ['b.cedar', 1, 50, 'b.cedar#0'],
      ['b.cedar', 2, 19, 'b.cedar#1'],
    ]);
    expect(err.issues[0]?.message).toContain('unexpected token `}`');
    expect(err.issues.every((i) => i.hint.length > 0)).toBe(true);
    expect(err.message).toMatch(/a\.cedar:5:23 in policy "broken": unexpected token/);
  });

  it('reports an unterminated string and a missing semicolon', async () => {
    const unterminated = await loadError(() => inline('permit(principal, action, resource)\nwhen { "open };\n'));
    expect(unterminated.issues[0]).toMatchObject({ line: 2, column: 8 });
    const missing = await loadError(() => inline('permit(principal, action, resource)'));
    expect(missing.issues[0]?.message).toContain('expected `;`');
  });

  it('keeps integer literals beyond 2^53 exact', () => {
    const set = inline('permit(principal, action, resource) when { context.n == 9007199254740993 && context.m == -9223372036854775808 };');
    const body = JSON.stringify(set.policies[0]?.est, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    expect(body).toContain('"9007199254740993n"');
    expect(body).toContain('-9223372036854775808n');
  });
});

describe('hostile input', () => {
  it('refuses a file that is not UTF-8, at the line of the bad byte', async () => {
    const bytes = new Uint8Array([...Buffer.from('permit(principal, action, resource);\n// caf'), 0xe9, ...Buffer.from('\n')]);
    await files({ 'latin1.cedar': bytes });
    const err = await loadError(() => loadPolicies(dir));
    expect(err.code).toBe('PCL_POLICY_NOT_UTF8');
    expect(err.issues[0]).toMatchObject({ file: join(dir, 'latin1.cedar'), line: 2, column: 7 });
    expect(err.issues[0]?.message).toContain('0xe9');
  });

  it('refuses an oversized file without parsing it, and reports every oversized file', async () => {
    const big = `// ${'x'.repeat(2048)}\npermit(principal, action, resource);`;
    await files({ 'a.cedar': big, 'b.cedar': big, 'c.cedar': 'permit(principal, action, resource);' });
    const err = await loadError(() => loadPolicies(dir, { maxFileBytes: 1024 }));
    expect(err.code).toBe('PCL_POLICY_TOO_LARGE');
    expect(err.issues.map((i) => i.file)).toEqual([join(dir, 'a.cedar'), join(dir, 'b.cedar')]);
    expect(err.issues[0]?.message).toMatch(/2\.0 KiB; the limit is 1\.0 KiB/);
  });

  it('refuses nesting and operator chains the Cedar parser cannot survive, and keeps working after', async () => {
    const deep = `permit(principal, action, resource) when { ${'('.repeat(5000)}true${')'.repeat(5000)} };`;
    const chain = `\n\npermit(principal, action, resource) when { ${Array(100_000).fill('true').join(' || ')} };`;
    const records = `permit(principal, action, resource) when { ${'{a:'.repeat(300)}1${'}'.repeat(300)} == 1 };`;
    const err = await loadError(() => inline(`${deep}\n${chain}\n${records}`));
    expect(err.code).toBe('PCL_POLICY_TOO_COMPLEX');
    expect(err.issues.map((i: PolicyLoadIssue) => [i.line, i.policyId])).toEqual([
      [1, 'inline.cedar#0'],
      [4, 'inline.cedar#1'],
      [5, 'inline.cedar#2'],
    ]);
    expect(err.issues[0]?.hint).toMatch(/Split/);
    // A wasm stack overflow would have broken every later parse in this process.
    expect(inline('@id("after") permit(principal, action, resource);').policies[0]?.id).toBe('after');
  });

  it('loads a long flat list (large but shallow) and a 1,000-statement file', () => {
    const list = inline(`permit(principal, action, resource) when { [${Array(50_000).fill('"x"').join(',')}].contains(context.v) };`);
    expect(list.policies).toHaveLength(1);
    const many = inline(Array.from({ length: 1000 }, (_, i) => `@id("p${i}") permit(principal == User::"u${i}", action, resource);`).join('\n'));
    expect(many.policies).toHaveLength(1000);
    expect(many.policies[999]?.source.line).toBe(1000);
  });
});
