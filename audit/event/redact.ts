// Replacing sensitive fields by a keyed hash. A keyed HMAC rather than a plain hash, because the
// plaintexts here (emails, usernames, addresses) are few enough to brute-force; without the per-log
// key nobody can test guesses, with it an operator can still find every event about a known value.
import { createHmac, KeyObject } from 'node:crypto';
import { AuditError, quote } from '../errors.js';
import { canonicalJson } from './canonical.js';
import type { JsonObject, JsonValue } from './validate.js';

/** The per-log secret: at least 32 bytes from a CSPRNG, as bytes or a secret KeyObject. */
export type HmacKey = Uint8Array | KeyObject;

export const HMAC_PREFIX = 'hmac-sha256:';
const MIN_KEY_BYTES = 32;

// Top-level fields that may be sensitive. id, time, action, decision and reasons are what an auditor
// filters on and hold no personal data by construction, so hiding them is refused rather than obeyed.
const TOP_LEVEL = new Set(['actor.id', 'resource', 'requestId', 'source', 'tlsIdentity']);

export function checkHmacKey(key: unknown): HmacKey {
  if (key instanceof KeyObject) {
    if (key.type === 'secret' && (key.symmetricKeySize ?? 0) >= MIN_KEY_BYTES) return key;
  } else if (key instanceof Uint8Array && key.byteLength >= MIN_KEY_BYTES) {
    return key;
  }
  throw new AuditError('PCL_AUDIT_EVENT_CONFIG_INVALID', `hmacKey must be a secret of at least ${MIN_KEY_BYTES} bytes`);
}

/**
 * The value stored in place of a sensitive field. Strings are hashed as their UTF-8 bytes; other JSON
 * values (a sensitive details object, a number) as their canonical JSON text.
 *
 * @example
 * // Find every event about alice@example.com in a log whose key is `key`:
 * const needle = lookupHmac('alice@example.com', key);
 * events.filter((e) => e.details.email === needle);
 */
export function lookupHmac(value: JsonValue, hmacKey: HmacKey): string {
  const key = checkHmacKey(hmacKey);
  const text = typeof value === 'string' ? value : canonicalJson(value);
  return HMAC_PREFIX + createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** A parsed sensitive-path list: which top-level fields, and which details paths, to replace. */
export interface SensitivePaths {
  readonly topLevel: ReadonlySet<string>;
  readonly details: readonly (readonly string[])[];
}

// Parsing is cached per list, since the list is configuration and createEvent is on the request path.
const parsed = new WeakMap<readonly string[], SensitivePaths>();

export function parseSensitivePaths(paths: readonly string[]): SensitivePaths {
  const cached = parsed.get(paths);
  if (cached !== undefined) return cached;
  if (!Array.isArray(paths)) throw new AuditError('PCL_AUDIT_EVENT_CONFIG_INVALID', 'sensitive must be an array of field paths');
  const topLevel = new Set<string>();
  const details: string[][] = [];
  for (const path of paths) {
    if (typeof path === 'string' && TOP_LEVEL.has(path)) {
      topLevel.add(path);
      continue;
    }
    const segments = typeof path === 'string' ? path.split('.') : [];
    if (segments.length < 2 || segments[0] !== 'details' || segments.some((s) => s === '')) {
      throw new AuditError('PCL_AUDIT_EVENT_CONFIG_INVALID', `sensitive path ${quote(path)} is not one of ${[...TOP_LEVEL].join(', ')} or details.<key>[.<key>…]`);
    }
    details.push(segments.slice(1));
  }
  const result = { topLevel, details };
  parsed.set(paths, result);
  return result;
}

/**
 * Returns `details` with the value at `path` replaced by its HMAC. A path that is absent, or runs
 * through an array or a scalar, is left alone: the event simply does not carry that field.
 */
export function redactDetails(details: Readonly<JsonObject>, path: readonly string[], key: HmacKey): Readonly<JsonObject> {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(details, head)) return details;
  const current = details[head] as JsonValue;
  let next: JsonValue;
  if (rest.length === 0) {
    next = lookupHmac(current, key);
  } else if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
    next = redactDetails(current, rest, key);
    if (next === current) return details;
  } else {
    return details;
  }
  return Object.freeze(Object.fromEntries(Object.entries(details).map(([k, v]) => [k, k === head ? next : v])));
}
