// Canonical JSON text: object keys sorted by UTF-16 code unit (as in RFC 8785), no whitespace,
// strings and numbers as ECMAScript's JSON.stringify writes them. The bytes of this text are what the
// log hashes, so two equal events must never encode differently, whatever order their keys were built in.
import type { JsonValue } from './validate.js';

/** Canonical JSON text of an already validated value (finite numbers, no cycles, plain objects). */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const parts: string[] = [];
  // Default sort compares UTF-16 code units, which is the order RFC 8785 specifies.
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    // Optional fields (tlsIdentity) are omitted, not written as null, so absent stays absent.
    if (item === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}
