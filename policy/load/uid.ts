// Entity uids as operators write them (`User::"alice"`, on the command line and in test cases) and as
// JSON (`{"type": "User", "id": "alice"}`), checked once here so the rest can trust them.

import { unescapeCedarString } from '../lexer.js';
import { isValidEntityType } from '../values/index.js';
import { isPlainObject } from './document.js';
import type { EntityRef } from './types.js';

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
  if (!trimmed.endsWith('"') || quote === trimmed.length - 1 || !isValidEntityType(type)) {
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
  if (!isValidEntityType(o['type'])) return { ok: false, message: `${JSON.stringify(o['type'].slice(0, 80))} is not a valid entity type name` };
  return { ok: true, ref: { type: o['type'], id: o['id'] } };
}

/** `User::"alice"`, the form Cedar prints. */
export function formatEntityRef(ref: EntityRef): string {
  return `${ref.type}::${JSON.stringify(ref.id)}`;
}
