// Policy text → Cedar JSON: ids, templates, exact big integer literals, and every class of bad
// input (syntax errors with positions, hostile nesting, bad encodings, duplicate ids) as a clear
// PolicyError, never a crash of the Cedar parser.

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { MAX_POLICY_NESTING, parsePolicies, PolicyError, stringifyJson } from '../policy/index.js';

function literalsOf(text: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Value' && (typeof x === 'number' || typeof x === 'bigint')) out.push(x);
        else walk(x);
      }
    }
  };
  for (const p of parsePolicies(text)) walk(p.est);
  return out;
}

function when(cond: string): string {
  return `permit(principal, action, resource) when { ${cond} };`;
}

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected a PolicyError');
}

describe('ids', () => {
  it('uses @id when present and policy<N> by position otherwise, templates included', () => {
    const ps = parsePolicies(`
      permit(principal, action, resource);
      @id("named") forbid(principal, action, resource);
      permit(principal == ?principal, action, resource);
      // a comment with a ; and a "quote
      permit(principal, action, resource) when { "a;b" == "a;b" };`);
    expect(ps.map((p) => [p.id, p.kind])).toEqual([
      ['policy0', 'static'],
      ['named', 'static'],
      ['policy2', 'template'],
      ['policy3', 'static'],
    ]);
    expect(ps[3]?.line).toBe(6);
  });

  it('rejects duplicate ids', () => {
    const err = errorOf(() => parsePolicies('@id("a") permit(principal, action, resource);\n@id("a") forbid(principal, action, resource);'));
    expect(err.code).toBe('PCL_POLICY_DUPLICATE_ID');
    expect(err.details[0]).toMatchObject({ policyId: 'a', line: 2 });
  });

  it('parses an empty file to no policies', () => {
    expect(parsePolicies('  // nothing here\n')).toEqual([]);
  });
});

describe('Long literals stay exact', () => {
  it('cedar-wasm alone rounds them (the bug we fix)', () => {
    const r = cedar.policyToJson(when('9007199254740993 == 1'));
    expect(r.type === 'success' && JSON.stringify(r.json)).toContain('9007199254740992');
  });

  it('restores the exact literal, positive and negative', () => {
    expect(literalsOf(when('9007199254740993 == 1'))).toEqual([9007199254740993n, 1]);
    expect(literalsOf(when('-9223372036854775808 < 9223372036854775807'))).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(literalsOf(when('x - 9007199254740993 == -9007199254740993'.replace('x', 'context.a')))).toEqual([9007199254740993n, -9007199254740993n]);
  });

  it('tells apart literals that round to the same double, in source order', () => {
    expect(literalsOf(when('9007199254740993 != 9007199254740992 && 9007199254740992 != 9007199254740993'))).toEqual([
      9007199254740993n,
      9007199254740992n,
      9007199254740992n,
      9007199254740993n,
    ]);
    // i64::MAX and -2^63 round to the same magnitude; the sign decides.
    expect(literalsOf(when('-9223372036854775808 < 9223372036854775807'))).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('ignores digits inside strings, comments and identifiers', () => {
    const text = `// 9007199254740995\n${when('"9007199254740997" == "x" && context.a9007199254740999 == 9007199254740993')}`;
    expect(literalsOf(text)).toEqual([9007199254740993n]);
  });

  it('serializes the exact JSON form losslessly', () => {
    const [p] = parsePolicies(when('context.n == 9223372036854775807'));
    expect(stringifyJson(p?.est)).toContain('9223372036854775807');
  });
});

describe('malformed policy text', () => {
  it('reports every syntax error with line and column', () => {
    const err = errorOf(() => parsePolicies('permit(principal, action, resource);\npermit(principal, action, resource) when { bad };\nforbid(principal;'));
    expect(err.code).toBe('PCL_POLICY_PARSE');
    expect(err.details.length).toBe(2);
    expect(err.details[0]).toMatchObject({ line: 2, column: 44 });
    expect(err.details[1]?.line).toBe(3);
    expect(err.message).toContain('2:44');
  });

  it('counts columns in characters, not UTF-8 bytes', () => {
    const err = errorOf(() => parsePolicies('permit(principal, action, resource) when { "😀é" == bad };'));
    expect(err.details[0]).toMatchObject({ line: 1, column: 53 });
  });

  it('rejects trailing garbage and unterminated strings', () => {
    expect(errorOf(() => parsePolicies('permit(principal, action, resource); permit(')).code).toBe('PCL_POLICY_PARSE');
    expect(errorOf(() => parsePolicies('permit(principal, action, resource) when { "abc };')).code).toBe('PCL_POLICY_PARSE');
  });

  it('rejects deep nesting before the Cedar parser sees it, and the parser still works afterwards', () => {
    for (const cond of [`${'('.repeat(500)}true${')'.repeat(500)}`, `${'['.repeat(200)}1${']'.repeat(200)} == 1`, `${'{a:'.repeat(200)}1${'}'.repeat(200)} == 1`]) {
      const err = errorOf(() => parsePolicies(when(cond)));
      expect(err.code).toBe('PCL_POLICY_TOO_COMPLEX');
    }
    expect(parsePolicies(when(`${'('.repeat(MAX_POLICY_NESTING - 3)}true${')'.repeat(MAX_POLICY_NESTING - 3)}`))).toHaveLength(1);
    expect(parsePolicies(when('1 == 1'))).toHaveLength(1);
  });

  it('rejects huge operator chains with a clear error', () => {
    const err = errorOf(() => parsePolicies(when(Array(5000).fill('true').join(' && '))));
    expect(err.code).toBe('PCL_POLICY_TOO_COMPLEX');
    expect(parsePolicies(when(Array(200).fill('true').join(' && ')))).toHaveLength(1);
  });

  it('rejects bytes that are not UTF-8 and strings with unpaired surrogates', () => {
    const bytes = new Uint8Array([...Buffer.from('permit(principal, action, resource) when { "'), 0xff, 0xfe, ...Buffer.from('" == "" };')]);
    expect(errorOf(() => parsePolicies(bytes)).code).toBe('PCL_POLICY_NOT_UTF8');
    expect(errorOf(() => parsePolicies(when('"\uD800" == ""'))).code).toBe('PCL_POLICY_NOT_UTF8');
    expect(parsePolicies(Buffer.from(when('"é" == "é"')))).toHaveLength(1);
  });

  it('rejects templates with slots in conditions', () => {
    expect(errorOf(() => parsePolicies(when('?principal == principal'))).code).toBe('PCL_POLICY_PARSE');
  });
});
