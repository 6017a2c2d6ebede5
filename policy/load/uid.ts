// Entity uids as operators write them (`User::"alice"`, on the command line and in test cases) and as
// JSON (`{"type": "User", "id": "alice"}`), checked once here so the rest can trust them.

import { isPlainObject } from './document.js';
import type { EntityRef } from './types.js';

// Cedar names: identifiers joined by `::`; ASCII only, as in Cedar's grammar.
const ENTITY_TYPE = /^[_a-zA-Z][_a-zA-Z0-9]*(?:::[_a-zA-Z][_a-zA-Z0-9]*)*$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0', "'": "'", '"': '"' };

export function isEntityTypeName(name: string): boolean {
  return ENTITY_TYPE.test(name);
}

/**
 * The value of a Cedar string literal's body (between the quotes), or undefined when an escape is
 * invalid. Cedar escapes: `\n \r \t \\ \0 \' \"` and `\u{1F600}`.
 */
export function unescapeCedarString(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const unicode = /^u\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 1, i + 11));
    if (next !== 'u' || unicode === null) return undefined;
    const cp = parseInt(unicode[1] ?? '', 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += unicode[0].length;
  }
  return out;
}

/**
 * Parses `Type::"id"` (the type may be namespaced: `App::User::"alice"`). Returns an error message
 * instead of throwing, so callers can attach the place it came from.
 *
 * @example
 * parseEntityRef('User::"alice"') // { ok: true, ref: { type: 'User', id: 'alice' } }
 */
export function parseEntityRef(text: string): { ok: true; ref: EntityRef } | { ok: false; message: string } {
  const trimmed = text.trim();
  const quote = trimmed.indexOf('"');
  const type = quote > 2 && trimmed.slice(quote - 2, quote) === '::' ? trimmed.slice(0, quote - 2) : '';
  if (!trimmed.endsWith('"') || quote === trimmed.length - 1 || !isEntityTypeName(type)) {
    return { ok: false, message: `${JSON.stringify(text.slice(0, 80))} is not an entity uid like User::"alice"` };
  }
  const id = unescapeCedarString(trimmed.slice(quote + 1, -1));
  // An unescaped quote inside the id would mean the text was two tokens, not one uid.
  if (id === undefined || /(?<!\\)"/.test(trimmed.slice(quote + 1, -1).replace(/\\\\/g, ''))) {
    return { ok: false, message: `${JSON.stringify(text.slice(0, 80))} has an invalid string literal for the id` };
  }
  return { ok: true, ref: { type, id } };
}

/** `{type, id}`, `{__entity: {type, id}}` or the string `Type::"id"`, as written in data files. */
export function entityRefFromData(value: unknown): { ok: true; ref: EntityRef } | { ok: false; message: string } {
  if (typeof value === 'string') return parseEntityRef(value);
  let o: unknown = value;
  if (isPlainObject(o) && '__entity' in o && Object.keys(o).length === 1) o = o['__entity'];
  if (!isPlainObject(o) || typeof o['type'] !== 'string' || typeof o['id'] !== 'string' || Object.keys(o).length !== 2) {
    return { ok: false, message: 'expected an entity uid: {"type": "User", "id": "alice"} or "User::\\"alice\\""' };
  }
  if (!isEntityTypeName(o['type'])) return { ok: false, message: `${JSON.stringify(o['type'].slice(0, 80))} is not a valid entity type name` };
  return { ok: true, ref: { type: o['type'], id: o['id'] } };
}

/** `User::"alice"`, the form Cedar prints. */
export function formatEntityRef(ref: EntityRef): string {
  return `${ref.type}::${JSON.stringify(ref.id)}`;
}
