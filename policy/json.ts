// Lossless JSON for Cedar documents (entities, contexts, policy JSON). JSON.parse turns every number
// into a double, so 9007199254740993 silently becomes ...992 and an attribute check can flip; here
// numbers stay exact (`LosslessNumber`, text form) until the value loader turns them into Longs with
// a path-bearing error for anything that is not a 64-bit integer. Input is checked to be UTF-8 and
// nested at most MAX_JSON_DEPTH levels before the (recursive) parser runs.

import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { PolicyError } from './errors.js';

export { isLosslessNumber, LosslessNumber };

/** Deepest array/object nesting accepted; deeper documents are rejected before parsing. */
export const MAX_JSON_DEPTH = 256;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

// An unpaired UTF-16 surrogate cannot be encoded in UTF-8; Cedar would never see such a string.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Decode UTF-8 bytes strictly (or check a string has no unpaired surrogates).
 *
 * @example
 * decodeText(new Uint8Array([0xff]), 'entities.json') // throws PolicyError PCL_POLICY_NOT_UTF8
 */
export function decodeText(input: string | Uint8Array, what: string): string {
  if (typeof input === 'string') {
    if (LONE_SURROGATE_RE.test(input)) throw new PolicyError('PCL_POLICY_NOT_UTF8', `${what} contains an unpaired surrogate`);
    return input;
  }
  try {
    return UTF8.decode(input);
  } catch (err) {
    throw new PolicyError('PCL_POLICY_NOT_UTF8', `${what} is not valid UTF-8`, { cause: err });
  }
}

/** Throws PCL_POLICY_JSON_TOO_DEEP when brackets nest deeper than `max` (outside strings). */
function checkDepth(text: string, what: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new PolicyError('PCL_POLICY_JSON_TOO_DEEP', `${what} nests deeper than ${max} levels`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/**
 * Parse JSON without losing integer precision: every number comes back as a `LosslessNumber`
 * (exact text); objects are plain objects (a `__proto__` key is an ordinary key). Duplicate keys
 * with different values are an error. `maxDepth` may be raised for policy JSON, whose expressions
 * nest two JSON levels per operator.
 *
 * @example
 * const v = parseJson('{"n": 9007199254740993}') as { n: LosslessNumber };
 * v.n.value === '9007199254740993'
 */
export function parseJson(input: string | Uint8Array, what = 'JSON document', maxDepth = MAX_JSON_DEPTH): unknown {
  const text = decodeText(input, what);
  checkDepth(text, what, maxDepth);
  try {
    return parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new PolicyError('PCL_POLICY_JSON_SYNTAX', `${what}: ${msg}`, { cause: err });
  }
}

/**
 * Serialize JSON keeping bigint and LosslessNumber integers exact (JSON.stringify throws on bigint).
 *
 * @example
 * stringifyJson({ n: 2n ** 63n - 1n }) === '{"n":9223372036854775807}'
 */
export function stringifyJson(value: unknown, space?: number): string {
  return stringify(value, undefined, space) ?? 'null';
}
