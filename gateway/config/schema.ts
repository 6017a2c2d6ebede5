// JSON Schema validation of the raw document (after env overrides), with Ajv errors rewritten into
// issues an operator can act on. The schema also fills in defaults, so the shape that comes out of a
// successful `validateSchema` is `RawConfig` with every optional scalar present.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import schemaJson from './portcullis.schema.json' with { type: 'json' };
import type { ConfigPath, PendingIssue } from './errors.js';
import type { RawConfig } from './raw.js';
import { closest } from './values.js';

/** The shipped JSON Schema (gateway/config/portcullis.schema.json). */
export const CONFIG_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, allowUnionTypes: true, strict: true });
    // Hints live next to the rule they explain; Ajv only needs to know the keyword is deliberate.
    ajv.addVocabulary(['x-hint']);
    compiled = ajv.compile(CONFIG_SCHEMA);
  }
  return compiled;
}

/**
 * Validates `data` in place (filling defaults). Returns issues; when there are none, `data` is a
 * RawConfig.
 */
export function validateSchema(data: unknown): { ok: true; value: RawConfig; issues: [] } | { ok: false; issues: PendingIssue[] } {
  const validate = validator();
  if (validate(data)) return { ok: true, value: data as RawConfig, issues: [] };
  const seen = new Set<string>();
  const issues: PendingIssue[] = [];
  for (const err of validate.errors ?? []) {
    const issue = describe(err, data);
    if (!issue) continue;
    const key = `${issue.at.join('\u0000')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return { ok: false, issues };
}

type SchemaNode = Record<string, unknown>;

/** Turns one Ajv error into an issue. Never includes `err.data`: it may be a secret. */
function describe(err: ErrorObject, root: unknown): PendingIssue | undefined {
  // propertyNames reports each inner failure too, tagged with propertyName; the outer error suffices.
  if ((err as { propertyName?: string }).propertyName !== undefined) return undefined;
  const at = pointerToPath(err.instancePath, root);
  const parent = (err.parentSchema ?? {}) as SchemaNode;
  const xHint = typeof parent['x-hint'] === 'string' ? parent['x-hint'] : undefined;
  const params = err.params as Record<string, unknown>;
  const schema = 'PCL_CONFIG_SCHEMA' as const;

  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as SchemaNode);
      const near = closest(key, known);
      const hint = near
        ? `did you mean "${near}"?`
        : xHint ?? (known.length > 0 ? `remove it; keys allowed here: ${known.join(', ')}` : 'remove it');
      return { code: schema, at: [...at, key], onKey: true, message: `unknown key "${key}"`, hint };
    }
    case 'required': {
      const key = String(params.missingProperty);
      const prop = ((parent.properties ?? {}) as Record<string, SchemaNode>)[key];
      const what = typeof prop?.description === 'string' ? ` (${prop.description.replace(/\.$/, '')})` : '';
      return { code: schema, at: [...at, key], message: `missing required key "${key}"`, hint: `add \`${key}:\`${what}` };
    }
    case 'type': {
      const expected = String(params.type).split(',').map(typeName).join(' or ');
      if (isSecretPath(at)) {
        return {
          code: 'PCL_CONFIG_SECRET',
          at,
          message: 'a private key must be a reference, not an inline value',
          hint: 'reference the secret with {file: ...} or {env: ...}',
        };
      }
      return { code: schema, at, message: `must be ${expected}, not ${typeName(jsonType(err.data))}`, hint: xHint ?? `write ${expected}` };
    }
    case 'const':
      return { code: schema, at, message: `must be ${JSON.stringify(params.allowedValue)}`, hint: xHint ?? `write ${JSON.stringify(params.allowedValue)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      return { code: schema, at, message: `must be one of ${allowed}`, hint: xHint ?? `use one of ${allowed}` };
    }
    case 'pattern':
    case 'format':
      return { code: schema, at, message: 'is not in the expected format', hint: xHint ?? 'check the value' };
    case 'minLength':
      return { code: schema, at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`, hint: xHint ?? 'write a value' };
    case 'minItems':
      return { code: schema, at, message: `must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`, hint: xHint ?? 'add an item' };
    case 'minProperties':
    case 'maxProperties': {
      const keys = Object.keys((parent.properties ?? {}) as SchemaNode);
      const message = isSecretPath(at) ? 'must have exactly one of file or env' : `must have exactly one of ${keys.join(', ')}`;
      return { code: isSecretPath(at) ? 'PCL_CONFIG_SECRET' : schema, at, message, hint: xHint ?? `keep one of ${keys.join(', ')}` };
    }
    case 'uniqueItems':
      return { code: schema, at, message: `lists the same value twice (items ${String(params.j)} and ${String(params.i)})`, hint: 'remove the repeated item' };
    case 'dependentRequired':
      return { code: schema, at, message: `"${String(params.property)}" needs "${String(params.missingProperty)}" as well`, hint: `add \`${String(params.missingProperty)}:\`, or remove \`${String(params.property)}\`` };
    case 'propertyNames': {
      const name = String(params.propertyName);
      const defs = (CONFIG_SCHEMA.$defs ?? {}) as Record<string, SchemaNode>;
      return { code: schema, at: [...at, name], onKey: true, message: `"${name}" is not an allowed name`, hint: String(defs.name?.['x-hint'] ?? 'rename it') };
    }
    default:
      // minimum, maximum, exclusiveMinimum, maxLength...: Ajv's own wording ("must be >= 1") is clear
      // and never contains the value.
      return { code: schema, at, message: err.message ?? 'is invalid', hint: xHint ?? 'check the value against docs/config.md' };
  }
}

/** Private keys sit at `*.tls.key`; any problem there is reported without the value. */
export function isSecretPath(path: ConfigPath): boolean {
  return path.length >= 2 && path[path.length - 1] === 'key' && path[path.length - 2] === 'tls';
}

function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const index = Number(seg);
      path.push(index);
      cur = cur[index];
    } else {
      path.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function typeName(t: string): string {
  const names: Record<string, string> = {
    object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number',
    number: 'a number', boolean: 'true or false', null: 'empty',
  };
  return names[t] ?? t;
}
