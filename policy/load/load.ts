// Loading a policy set: files → parsed statements → unique ids → template links → schema validation.
// Each stage reports every problem it finds across all files, then stops; later stages would only
// repeat the earlier problems in other words.

import { createHash } from 'node:crypto';
import { formatIssueLocation, PolicyLoadError, type PolicyLoadIssue } from '../errors.js';
import { DEFAULT_MAX_FILE_BYTES } from './decode.js';
import { linkedPolicy, parseLinks, type ParsedLink } from './links.js';
import { parsePolicyFile, type ParsedStatement } from './parse-file.js';
import { MAX_POLICY_FILES, readInputFile, readPolicySources } from './read.js';
import { actionEntitiesOf, parseSchema } from './schema.js';
import type { ActionEntity, LoadedPolicy, LoadedPolicySet, LoadedTemplate, SourceInput, SourcePosition } from './types.js';
import { validatePolicies } from './validate.js';

export interface PolicyInputs {
  /** Policy files; loaded in the order of their `name` (or `file`), compared as plain strings. */
  readonly sources: readonly SourceInput[];
  /** A Cedar schema (`.cedarschema` text, or JSON): the set is validated against it in strict mode. */
  readonly schema?: SourceInput;
  /** A JSON or YAML array of template links. */
  readonly links?: SourceInput;
  /** Largest accepted file, in bytes (default 1 MiB). */
  readonly maxFileBytes?: number;
}

export interface LoadPoliciesOptions {
  /** Path to a schema file. */
  readonly schema?: string;
  /** Path to a links file. */
  readonly links?: string;
  readonly maxFileBytes?: number;
  /** Most `*.cedar` files in a directory (default 10,000). */
  readonly maxFiles?: number;
}

function fail(issues: readonly PolicyLoadIssue[]): void {
  if (issues.length > 0) throw new PolicyLoadError(issues);
}

function nameOf(s: SourceInput): string {
  return s.name ?? s.file;
}

/** Every statement of every file, or every problem in them. */
function parseAll(sources: readonly SourceInput[], maxBytes: number): ParsedStatement[] {
  const statements: ParsedStatement[] = [];
  const issues: PolicyLoadIssue[] = [];
  for (const source of sources) {
    const parsed = parsePolicyFile(source, maxBytes);
    statements.push(...parsed.statements);
    issues.push(...parsed.issues);
  }
  fail(issues);
  return statements;
}

/** Policy and template ids share one namespace; a repeat names both places. */
function checkUniqueIds(statements: readonly ParsedStatement[]): Map<string, SourcePosition> {
  const seen = new Map<string, SourcePosition>();
  const issues: PolicyLoadIssue[] = [];
  for (const s of statements) {
    const earlier = seen.get(s.id);
    if (earlier === undefined) {
      seen.set(s.id, s.position);
      continue;
    }
    issues.push({
      code: 'PCL_POLICY_DUPLICATE_ID',
      ...s.position,
      policyId: s.id,
      message: `policy id ${JSON.stringify(s.id)} is already used at ${formatIssueLocation(earlier)}`,
      hint: 'Give every policy and template its own @id("...").',
    });
  }
  fail(issues);
  return seen;
}

function versionOf(sources: readonly SourceInput[], links: SourceInput | undefined): string {
  const hash = createHash('sha256');
  const add = (label: string, content: Uint8Array | string): void => {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    // Length-prefixed, so no two different inputs concatenate to the same stream.
    hash.update(`${label.length}:${label}${bytes.byteLength}:`);
    hash.update(bytes);
  };
  for (const s of sources) add(`policy:${nameOf(s)}`, s.content);
  if (links !== undefined) add('links', links.content);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Builds a policy set from files already in memory: parses every policy and template, checks ids,
 * links templates and, with a schema, validates strictly. Throws PolicyLoadError listing every problem
 * of the first stage that has any.
 *
 * @example
 * const set = buildPolicySet({ sources: [{ file: 'inline.cedar', content: 'permit(principal, action, resource);' }] });
 * set.policies[0].id === 'inline.cedar#0'
 */
export function buildPolicySet(inputs: PolicyInputs): LoadedPolicySet {
  const maxBytes = inputs.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const sources = [...inputs.sources].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const statements = parseAll(sources, maxBytes);
  const taken = checkUniqueIds(statements);

  const policies: LoadedPolicy[] = [];
  const templates: LoadedTemplate[] = [];
  for (const s of statements) {
    const base = { id: s.id, effect: s.effect, est: s.est, annotations: s.annotations, source: s.position, clauses: s.clauses };
    if (s.template) templates.push({ ...base, slots: s.slots });
    else policies.push(base);
  }

  let links: ParsedLink[] = [];
  if (inputs.links !== undefined) {
    const byId = new Map(templates.map((t) => [t.id, t]));
    const parsed = parseLinks(inputs.links, byId, taken, maxBytes);
    fail(parsed.issues);
    links = parsed.links;
    for (const link of links) {
      const template = byId.get(link.templateId);
      if (template !== undefined) policies.push(linkedPolicy(template, link));
    }
  }

  let warnings: PolicyLoadIssue[] = [];
  let actions: ActionEntity[] = [];
  if (inputs.schema !== undefined) {
    const schema = parseSchema(inputs.schema, maxBytes);
    if (!schema.ok) throw new PolicyLoadError(schema.issues);
    const outcome = validatePolicies(inputs.schema.file, schema.schema, statements, links);
    fail(outcome.errors);
    warnings = outcome.warnings;
    actions = actionEntitiesOf(inputs.schema.file, schema.schema);
  }

  return {
    policies,
    templates,
    linkCount: links.length,
    version: versionOf(sources, inputs.links),
    files: sources.map((s) => s.file),
    actions,
    warnings,
  };
}

/**
 * Loads the policies in a `.cedar` file or a directory of them (recursively, sorted), with an optional
 * schema and links file.
 *
 * Policy ids: `@id("...")` when present, else `<path relative to the directory>#<0-based position in
 * the file>` (for a single file, its base name), e.g. `routes/admin.cedar#2`. Derived ids change when
 * policies move; give any policy something refers to (links, logs, tests) an `@id`.
 *
 * @example
 * const set = await loadPolicies('policies/', { schema: 'gateway.cedarschema', links: 'links.json' });
 * console.log(`${set.policies.length} policies, version ${set.version}`);
 */
export async function loadPolicies(path: string, options: LoadPoliciesOptions = {}): Promise<LoadedPolicySet> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const sources = await readPolicySources(path, maxFileBytes, options.maxFiles ?? MAX_POLICY_FILES);
  const schema = options.schema === undefined ? undefined : await readInputFile(options.schema, maxFileBytes);
  const links = options.links === undefined ? undefined : await readInputFile(options.links, maxFileBytes);
  return buildPolicySet({ sources, maxFileBytes, ...(schema === undefined ? {} : { schema }), ...(links === undefined ? {} : { links }) });
}
