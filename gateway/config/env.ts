// PORTCULLIS_<PATH> environment overrides, applied to the raw document before validation so an
// overridden value is checked exactly like one written in the file. Path segments are separated by
// "__" and matched case-insensitively against keys written in UPPER_SNAKE (maxHeaderBytes ->
// MAX_HEADER_BYTES); list items are addressed by index. Values are parsed as YAML flow values.
import { parseDocument } from 'yaml';
import type { PendingIssue } from './errors.js';
import type { EnvMap } from './resolve.js';
import { CONFIG_SCHEMA } from './schema.js';

export const ENV_PREFIX = 'PORTCULLIS_';

export interface AppliedOverride {
  envVar: string;
  /** The config path it replaced, with real key spelling and numeric indexes. */
  path: (string | number)[];
}

type Schema = Record<string, unknown>;
type Container = Record<string, unknown> | unknown[];

/**
 * Applies every PORTCULLIS_* variable in `env` to `data` (mutated). Variables with a single segment
 * that is not a top-level key (PORTCULLIS_CONFIG, PORTCULLIS_GATEWAY_KEY_PEM...) are left to whoever
 * uses them; a multi-segment variable that names no key is an issue, so a typo cannot silently leave
 * a security setting at its file value. `version` is never overridden: it describes the file.
 */
export function applyEnvOverrides(data: Record<string, unknown>, env: EnvMap): { applied: AppliedOverride[]; issues: PendingIssue[] } {
  const applied: AppliedOverride[] = [];
  const issues: PendingIssue[] = [];
  const candidates = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && env[name] !== undefined && env[name] !== '')
    .map((name) => ({ name, segments: name.slice(ENV_PREFIX.length).split('__') }))
    // Whole sections first, so PORTCULLIS_SERVER__TLS then PORTCULLIS_SERVER__TLS__CERT both take effect.
    .sort((a, b) => a.segments.length - b.segments.length || (a.name < b.name ? -1 : 1));

  for (const { name, segments } of candidates) {
    const rootProps = (CONFIG_SCHEMA.properties ?? {}) as Record<string, Schema>;
    const top = Object.keys(rootProps).filter((k) => k !== 'version' && sameKey(k, segments[0] ?? ''));
    if (top.length === 0 && segments.length === 1) continue;
    const result = applyOne(data, segments, parseValue(env[name] ?? ''));
    if (result.ok) applied.push({ envVar: name, path: result.path });
    else issues.push({ code: 'PCL_CONFIG_ENV', at: result.path, envVar: name, message: result.message, hint: result.hint });
  }
  return { applied, issues };
}

type ApplyResult = { ok: true; path: (string | number)[] } | { ok: false; path: (string | number)[]; message: string; hint: string };

function applyOne(data: Record<string, unknown>, segments: string[], value: unknown): ApplyResult {
  const path: (string | number)[] = [];
  let container: Container = data;
  let schema: Schema = CONFIG_SCHEMA;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (seg === '') return { ok: false, path, message: 'has an empty path segment', hint: 'separate keys with exactly two underscores, e.g. PORTCULLIS_SERVER__PORT' };

    let key: string | number;
    let childSchema: Schema;
    if (Array.isArray(container)) {
      if (!/^[0-9]+$/.test(seg)) return { ok: false, path, message: `"${seg}" is not a list index`, hint: 'address list items by number, e.g. PORTCULLIS_ROUTES__0__MTLS' };
      key = Number(seg);
      if (key > container.length) return { ok: false, path, message: `index ${key} is past the end of the list (it has ${container.length} items)`, hint: `use an index from 0 to ${container.length}` };
      childSchema = deref(schema.items);
    } else {
      const found = findKey(container, schema, seg);
      if (!found.ok) return { ok: false, path, message: found.message, hint: found.hint };
      key = found.key;
      childSchema = found.schema;
    }
    path.push(key);

    if (last) {
      if (Array.isArray(container)) container[key as number] = value;
      else container[key as string] = value;
      return { ok: true, path };
    }
    const existing: unknown = Array.isArray(container) ? container[key as number] : container[key as string];
    let next: Container;
    if (existing !== null && typeof existing === 'object') {
      next = existing as Container;
    } else {
      next = childSchema.type === 'array' ? [] : {};
      if (Array.isArray(container)) container[key as number] = next;
      else container[key as string] = next;
    }
    container = next;
    schema = childSchema;
  }
  return { ok: false, path, message: 'names no key', hint: 'write the path of a config key, e.g. PORTCULLIS_SERVER__PORT' };
}

type Found = { ok: true; key: string; schema: Schema } | { ok: false; message: string; hint: string };

/** Matches an env segment to an existing key, else to a schema property, else (maps) a new entry. */
function findKey(container: Record<string, unknown>, schema: Schema, seg: string): Found {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const additional = schema.additionalProperties;
  const mapSchema = additional !== undefined && typeof additional === 'object' ? deref(additional) : undefined;
  const existing = Object.keys(container).filter((k) => sameKey(k, seg));
  if (existing.length > 1) {
    return { ok: false, message: `is ambiguous: it matches ${existing.map((k) => `"${k}"`).join(' and ')}`, hint: 'rename one of the entries so their UPPER_SNAKE forms differ' };
  }
  const fromSchema = Object.keys(props).filter((k) => k !== 'version' && sameKey(k, seg));
  const key = existing[0] ?? fromSchema[0];
  if (key !== undefined) {
    const child = props[key] ?? mapSchema;
    return { ok: true, key, schema: child ? deref(child) : {} };
  }
  // A map of named entries (pools): an unknown name creates a new entry.
  if (mapSchema) return { ok: true, key: seg.toLowerCase(), schema: mapSchema };
  const known = Object.keys(props).filter((k) => k !== 'version').map(envSegment);
  return {
    ok: false,
    message: `"${seg}" does not name a config key here`,
    hint: known.length > 0 ? `keys here: ${known.join(', ')}` : 'this value has no sub-keys; drop the last segment',
  };
}

/** `maxHeaderBytes` -> `MAX_HEADER_BYTES`; `my-pool` -> `MY_POOL`. */
export function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

function sameKey(key: string, seg: string): boolean {
  const upper = seg.toUpperCase();
  const k = envSegment(key);
  return k === upper || k.replace(/_/g, '') === upper.replace(/_/g, '');
}

function deref(node: unknown): Schema {
  let s = (node && typeof node === 'object' ? node : {}) as Schema;
  // Local refs only (#/$defs/x); the shipped schema uses nothing else.
  for (let hops = 0; typeof s.$ref === 'string' && hops < 8; hops++) {
    const name = s.$ref.replace('#/$defs/', '');
    const defs = (CONFIG_SCHEMA.$defs ?? {}) as Record<string, Schema>;
    s = { ...(defs[name] ?? {}), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  }
  return s;
}

/**
 * `9000` -> 9000, `true` -> true, `[a, b]` -> list, `{file: x}` -> mapping; anything YAML cannot
 * read (or that uses aliases) stays the literal string, which validation then judges.
 */
function parseValue(text: string): unknown {
  const doc = parseDocument(text, { schema: 'core', version: '1.2', uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return text;
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 0 });
    return value === undefined ? text : value;
  } catch {
    return text;
  }
}
