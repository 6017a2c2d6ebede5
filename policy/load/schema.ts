// The optional Cedar schema: `.cedarschema` text or the JSON form. Read, screened for nesting (the
// schema parser recurses on the same fixed wasm stack as the policy parser) and checked by cedar-wasm.

import type { PolicyLoadIssue } from '../errors.js';
import { checkSchema, schemaJson, type Schema } from './cedar.js';
import { decodeSource } from './decode.js';
import { parseDataDocument } from './document.js';
import { issuesFromCedar } from './parse-file.js';
import { SourceText } from './source.js';
import type { ActionEntity, EntityRef, SourceInput } from './types.js';

/** Deepest bracket nesting accepted in a schema: records within records, `Set<...>`, JSON objects. */
export const MAX_SCHEMA_DEPTH = 32;

export type ParsedSchema = { ok: true; schema: Schema } | { ok: false; issues: PolicyLoadIssue[] };

/** Deepest nesting of `{ [ ( <` outside strings and `//` comments, and where it was first reached. */
function nesting(text: string): { depth: number; at: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '{' || ch === '[' || ch === '(' || ch === '<') {
      depth++;
      if (depth > max) [max, at] = [depth, i];
    } else if (ch === '}' || ch === ']' || ch === ')' || ch === '>') {
      depth = Math.max(0, depth - 1);
    }
  }
  return { depth: max, at };
}

function looksLikeJson(file: string, text: string): boolean {
  return file.endsWith('.json') || text.trimStart().startsWith('{');
}

/**
 * Reads a schema file. JSON is detected by a `.json` name or a leading `{`; anything else is Cedar
 * schema text.
 *
 * @example
 * const parsed = parseSchema({ file: 'gateway.cedarschema', content }, 1 << 20);
 * if (parsed.ok) validate(parsed.schema, ...);
 */
export function parseSchema(input: SourceInput, maxBytes: number): ParsedSchema {
  const decoded = decodeSource(input.file, input.content, maxBytes);
  if (!decoded.ok) return { ok: false, issues: [decoded.issue] };
  const source = new SourceText(input.file, decoded.text);
  const deep = nesting(decoded.text);
  // A JSON schema needs two levels per Cedar type (`{"type": "Record", "attributes": {...}}`).
  const json = looksLikeJson(input.file, decoded.text);
  const limit = json ? MAX_SCHEMA_DEPTH * 2 : MAX_SCHEMA_DEPTH;
  if (deep.depth > limit) {
    return {
      ok: false,
      issues: [{ code: 'PCL_POLICY_TOO_COMPLEX', file: input.file, ...source.position(deep.at), message: `the schema nests ${deep.depth} levels deep here; the limit is ${limit}`, hint: 'Flatten nested records with common types (`type Address = {...}`).' }],
    };
  }
  let schema: Schema = decoded.text;
  if (json) {
    const parsed = parseDataDocument(input.file, decoded.text, 'PCL_POLICY_SCHEMA', { maxBytes });
    if (!parsed.ok) return parsed;
    if (typeof parsed.doc.value !== 'object' || parsed.doc.value === null || Array.isArray(parsed.doc.value)) {
      return { ok: false, issues: [parsed.doc.issue('PCL_POLICY_SCHEMA', [], 'a JSON schema must be an object of namespaces', 'Use { "": { "entityTypes": {...}, "actions": {...} } } (see the Cedar schema docs).')] };
    }
    schema = parsed.doc.value as Schema;
  }
  const errors = checkSchema(input.file, schema);
  if (errors.length === 0) return { ok: true, schema };
  const hint = 'Fix the schema at this point (see https://docs.cedarpolicy.com/schema/human-readable-schema.html).';
  return { ok: false, issues: issuesFromCedar('PCL_POLICY_SCHEMA', errors, source, 0, undefined, hint) };
}

/**
 * The action entities a schema declares, with their groups (`action "GET" in [read]`). Cedar takes
 * the action hierarchy from the schema; our evaluator reads it from entity data, so callers add these.
 */
export function actionEntitiesOf(file: string, schema: Schema): ActionEntity[] {
  const json = schemaJson(file, schema) ?? {};
  const entities: ActionEntity[] = [];
  for (const [namespace, definition] of Object.entries(json)) {
    const type = namespace === '' ? 'Action' : `${namespace}::Action`;
    for (const [id, action] of Object.entries(definition.actions)) {
      const parents: EntityRef[] = (action.memberOf ?? []).map((p) => ({ type: p.type ?? type, id: p.id }));
      entities.push({ uid: { type, id }, parents });
    }
  }
  return entities;
}
