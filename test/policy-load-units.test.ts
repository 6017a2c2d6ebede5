// The small pure pieces of policy loading, with the malicious and awkward inputs each must survive.
import { describe, expect, it } from 'vitest';
import { checkCase, parseTestCases, PolicyLoadError, buildPolicySet, parseEntityRef, formatPolicyFile } from '../policy/load/index.js';
import { scanStatements, unescapeCedarString } from '../policy/lexer.js';
import { decodeSource, firstInvalidUtf8 } from '../policy/load/decode.js';
import { SourceText } from '../policy/load/source.js';

function thrown(fn: () => unknown): PolicyLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('scanStatements', () => {
  it('splits only at semicolons outside strings and comments', () => {
    const text = '// a; comment\n@id("a;b") permit(principal, action, resource) when { "x;y" like "*;*" };\n  forbid(principal, action, resource); // tail;\n';
    const statements = scanStatements(text);
    expect(statements.map((s) => text.slice(s.start, s.end))).toEqual([
      '@id("a;b") permit(principal, action, resource) when { "x;y" like "*;*" }',
      'forbid(principal, action, resource);',
    ].map((s, i) => (i === 0 ? `${s};` : s)));
    expect(statements[0]?.annotatedId).toBe('a;b');
  });

  it('keeps unterminated text as a last statement and finds slots and clauses', () => {
    const [s] = scanStatements('permit(principal == ?principal, action, resource) when { true } unless { context.x }');
    expect(s?.terminated).toBe(false);
    expect(s?.hasSlot).toBe(true);
    expect(s?.clauses.map((c) => c.kind)).toEqual(['when', 'unless']);
  });

  it('never throws on garbage, and measures depth', () => {
    expect(() => scanStatements('"\\')).not.toThrow();
    expect(scanStatements('))))]]]}}}').length).toBe(1);
    expect(scanStatements(`${'['.repeat(60)};`)[0]?.maxDepth).toBe(60);
  });
});

describe('positions', () => {
  it('counts columns in code points and maps UTF-8 byte offsets', () => {
    const src = new SourceText('f', 'ab\r\n😀é x\rz');
    expect(src.position(4)).toEqual({ line: 2, column: 1 });
    // "😀é " is 4 + 2 + 1 bytes, 2 + 1 + 1 UTF-16 units, 3 code points.
    expect(src.positionOfByteOffset(4, 7)).toEqual({ line: 2, column: 4 });
    expect(src.position(src.text.length - 1)).toEqual({ line: 3, column: 1 });
    expect(src.positionOfByteOffset(0, 10_000)).toEqual({ line: 3, column: 2 });
  });
});

describe('UTF-8 decoding', () => {
  it('finds the first invalid byte: stray continuation, overlong, surrogate, truncated', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo'))).toBe(-1);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0xc0, 0xaf]))).toBe(0);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
    expect(firstInvalidUtf8(new Uint8Array([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });

  it('drops a byte order mark and refuses lone surrogates in strings', () => {
    expect(decodeSource('f', new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 10)).toEqual({ ok: true, text: 'a' });
    const lone = decodeSource('f', 'a\ud800b', 10);
    expect(lone.ok ? undefined : lone.issue.code).toBe('PCL_POLICY_NOT_UTF8');
  });

  it('loads a policy file that starts with a byte order mark at the right columns', () => {
    const set = buildPolicySet({ sources: [{ file: 'bom.cedar', content: new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('permit(principal, action, resource);')]) }] });
    expect(set.policies[0]?.source).toEqual({ file: 'bom.cedar', line: 1, column: 1 });
  });
});

describe('entity uids', () => {
  it('parses Type::"id" with namespaces and Cedar escapes', () => {
    expect(parseEntityRef('App::User::"al\\"ice"')).toEqual({ ok: true, ref: { type: 'App::User', id: 'al"ice' } });
    expect(parseEntityRef('Route::"/a b/\\u{1F600}"')).toEqual({ ok: true, ref: { type: 'Route', id: '/a b/😀' } });
    expect(parseEntityRef(' User::"" ')).toEqual({ ok: true, ref: { type: 'User', id: '' } });
  });

  it('refuses what is not one uid', () => {
    for (const bad of ['alice', 'User::alice', 'User:"a"', '::"a"', 'User::"a" || true', 'User::"a"b"', 'Us er::"a"', 'User::"\\q"', '1User::"a"']) {
      expect(parseEntityRef(bad).ok, bad).toBe(false);
    }
    expect(unescapeCedarString('\\u{D800}')).toBeUndefined();
  });
});

describe('policy test cases', () => {
  const file = '/suite/cases.yaml';
  const one = (extra: string): string => `policies: ../policies\ncases:\n  - name: a\n    principal: User::"alice"\n    action: GET\n    resource: { type: Route, id: x }\n    expect: allow\n${extra}`;

  it('reads cases, resolves paths against the file and keeps integers exact', () => {
    const suite = parseTestCases({ file, content: one('    context: { n: 9223372036854775807, ok: true }\n    reasons: [p1]\n') });
    expect(suite.policies).toBe('/policies');
    expect(suite.cases[0]).toMatchObject({ name: 'a', principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'GET' }, resource: { type: 'Route', id: 'x' }, expect: 'allow', reasons: ['p1'], line: 3 });
    expect(suite.cases[0]?.context['n']).toBe(9223372036854775807n);
  });

  it('refuses unknown keys, bad values, duplicate names and empty suites, each at its line', () => {
    const err = thrown(() => parseTestCases({ file, content: one('    expected: deny\n  - name: a\n    principal: User::"b"\n    action: GET\n    resource: Route::"x"\n    expect: maybe\n') }));
    expect(err.issues.map((i) => [i.line, i.message])).toEqual([
      [8, 'case #0: unknown key "expected"'],
      [13, 'case #1: "expect" must be allow or deny'],
    ]);
    const dup = thrown(() => parseTestCases({ file, content: `${one('')}  - name: a\n    principal: User::"b"\n    action: GET\n    resource: Route::"x"\n    expect: deny\n` }));
    expect(dup.issues[0]?.message).toContain('already used on line 3');
    expect(thrown(() => parseTestCases({ file, content: 'cases: []' })).issues[0]?.message).toBe('no cases');
    expect(thrown(() => parseTestCases({ file, content: 'a: &x [*x]' })).code).toBe('PCL_POLICY_CASES');
  });

  it('compares decisions, reasons and errors as sets', () => {
    const c = parseTestCases({ file, content: one('    reasons: [p2, p1]\n    errors: []\n') }).cases[0];
    if (c === undefined) throw new Error('no case');
    expect(checkCase(c, { decision: 'allow', reasons: ['p1', 'p2'], errors: [] })).toEqual([]);
    expect(checkCase(c, { decision: 'deny', reasons: [], errors: ['p3'] })).toEqual([
      'expected allow, got deny (reasons: (none))',
      'expected reasons p2, p1, got (none)',
      'expected erroring policies (none), got p3',
    ]);
  });
});

describe('formatPolicyFile', () => {
  it('keeps comments and meaning, and leaves comment-only files alone', () => {
    expect(formatPolicyFile({ file: 'c.cedar', content: '// nothing yet\n' })).toBe('// nothing yet\n');
    const out = formatPolicyFile({ file: 'a.cedar', content: '// lead\n@id("a") permit(principal,action,resource) when {1==1}; // trailing\n' });
    expect(out).toContain('// lead');
    expect(out).toContain('// trailing');
  });

  it('refuses text nested too deeply to format safely', () => {
    expect(thrown(() => formatPolicyFile({ file: 'd.cedar', content: `permit(principal, action, resource) when { ${'('.repeat(500)}1${')'.repeat(500)} };` })).code).toBe('PCL_POLICY_TOO_COMPLEX');
  });
});
