// The engine's parsePolicies and the loader share one lexer, one parse of each statement and one
// error catalogue: the same text is accepted or refused by both, with the same code and status, and a
// failure of cedar-wasm itself does not break later parses.
import { describe, expect, it } from 'vitest';
import { callCedar } from '../policy/cedar-wasm.js';
import {
  buildPolicySet,
  IF_OPERATOR_WEIGHT,
  MAX_POLICY_NESTING,
  MAX_POLICY_OPERATORS,
  parsePolicies,
  POLICY_ERRORS,
  PolicyError,
  PolicyLoadError,
  stringifyJson,
  type LoadedPolicySet,
} from '../policy/index.js';

function when(cond: string): string {
  return `permit(principal, action, resource) when { ${cond} };`;
}

function load(text: string | Uint8Array): LoadedPolicySet {
  return buildPolicySet({ sources: [{ file: 'inline.cedar', content: text }] });
}

/** The code each path ends with: 'ok', or the code of the error it throws. */
function outcomes(text: string | Uint8Array): { engine: string; loader: string } {
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      if (err instanceof PolicyError || err instanceof PolicyLoadError) return err.code;
      throw err;
    }
  };
  return { engine: codeOf(() => parsePolicies(text)), loader: codeOf(() => load(text)) };
}

// `when {` opens one bracket, so n - 1 parentheses inside it nest n deep.
const nested = (depth: number): string => when(`${'('.repeat(depth - 1)}true${')'.repeat(depth - 1)}`);
const chained = (operators: number): string => when(Array(operators + 1).fill('true').join(' && '));
const ifs = (count: number): string => when(`${'if true then '.repeat(count)}true${' else false'.repeat(count)}`);

describe('a failure of cedar-wasm itself', () => {
  const failureOf = (call: () => unknown): PolicyError => {
    try {
      call();
    } catch (err) {
      if (err instanceof PolicyError) return err;
      throw err;
    }
    throw new Error('expected a PolicyError');
  };

  it('is PCL_POLICY_ENGINE (500) for a wasm trap and PCL_POLICY_TOO_COMPLEX (400) for a JS stack overflow', () => {
    const trap = failureOf(() => callCedar(() => {
      // What V8 throws for a trap: a WebAssembly.RuntimeError (not in this project's TS lib).
      throw Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    }));
    expect([trap.code, trap.status]).toEqual(['PCL_POLICY_ENGINE', 500]);
    const stack = failureOf(() => callCedar(() => {
      throw new RangeError('Maximum call stack size exceeded');
    }));
    expect([stack.code, stack.status]).toEqual(['PCL_POLICY_TOO_COMPLEX', 400]);
  });

  it('leaves the engine working on both paths after input it cannot survive', () => {
    // Unscreened input: cedar-wasm's stack overflows, which breaks the instance it ran in. First in the
    // file on purpose: on a fresh instance this is a wasm trap; once V8 has optimised the engine's code
    // the same input may overflow the JS stack instead.
    const failure = failureOf(() => callCedar((cedar) => cedar.policyToJson(nested(500))));
    expect(['PCL_POLICY_ENGINE', 'PCL_POLICY_TOO_COMPLEX']).toContain(failure.code);
    expect(parsePolicies('@id("after") permit(principal, action, resource);')[0]?.id).toBe('after');
    expect(load('@id("after") permit(principal, action, resource);').policies[0]?.id).toBe('after');
  });
});

describe('one set of limits for the engine and the loader', () => {
  it.each([
    ['brackets at the limit', nested(MAX_POLICY_NESTING), 'ok'],
    ['brackets one past the limit', nested(MAX_POLICY_NESTING + 1), 'PCL_POLICY_TOO_COMPLEX'],
    ['operators at the limit', chained(MAX_POLICY_OPERATORS), 'ok'],
    ['operators one past the limit', chained(MAX_POLICY_OPERATORS + 1), 'PCL_POLICY_TOO_COMPLEX'],
    ['`if`s at the limit', ifs(MAX_POLICY_OPERATORS / IF_OPERATOR_WEIGHT), 'ok'],
    ['one `if` past the limit', ifs(MAX_POLICY_OPERATORS / IF_OPERATOR_WEIGHT + 1), 'PCL_POLICY_TOO_COMPLEX'],
    ['a chain cedar-wasm cannot survive', chained(5000), 'PCL_POLICY_TOO_COMPLEX'],
  ])('%s', (_name, text, expected) => {
    expect(outcomes(text)).toEqual({ engine: expected, loader: expected });
  });

  it('states the limits it enforces in the catalogue hint', () => {
    expect(POLICY_ERRORS.PCL_POLICY_TOO_COMPLEX.hint).toContain(`${MAX_POLICY_NESTING} brackets`);
    expect(POLICY_ERRORS.PCL_POLICY_TOO_COMPLEX.hint).toContain(`${MAX_POLICY_OPERATORS} operators`);
  });

  it('restores the same exact integers on both paths, from one parse', () => {
    const text = when('context.a == 9007199254740993 && context.b == -9223372036854775808 && context.c == - 9223372036854775807');
    const [engine] = parsePolicies(text);
    const [loaded] = load(text).policies;
    expect(stringifyJson(loaded?.est)).toBe(stringifyJson(engine?.est));
    expect(stringifyJson(engine?.est)).toContain('9007199254740993');
    expect(stringifyJson(engine?.est)).toContain('-9223372036854775808');
  });
});

describe('one error catalogue', () => {
  it('gives a duplicate id 409 on both paths', () => {
    const text = '@id("a") permit(principal, action, resource);\n@id("a") forbid(principal, action, resource);';
    expect(outcomes(text)).toEqual({ engine: 'PCL_POLICY_DUPLICATE_ID', loader: 'PCL_POLICY_DUPLICATE_ID' });
    const loaderError = (() => {
      try {
        load(text);
      } catch (err) {
        return err as PolicyLoadError;
      }
      throw new Error('expected the load to fail');
    })();
    expect(loaderError.status).toBe(409);
    expect(POLICY_ERRORS.PCL_POLICY_DUPLICATE_ID.status).toBe(409);
  });

  it('gives an oversized file 413 and bytes that are not UTF-8 PCL_POLICY_NOT_UTF8 on both paths', () => {
    try {
      buildPolicySet({ sources: [{ file: 'big.cedar', content: `// ${'x'.repeat(100)}` }], maxFileBytes: 10 });
      throw new Error('expected the load to fail');
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyLoadError);
      expect((err as PolicyLoadError).code).toBe('PCL_POLICY_TOO_LARGE');
      expect((err as PolicyLoadError).status).toBe(413);
    }
    const bytes = new Uint8Array([...Buffer.from(when('"')), 0xff, ...Buffer.from('" == "" };')]);
    expect(outcomes(bytes)).toEqual({ engine: 'PCL_POLICY_NOT_UTF8', loader: 'PCL_POLICY_NOT_UTF8' });
  });
});
