// Policy test cases (`portcullis policy test CASES`): a YAML or JSON file of requests with the decision
// each must get. Parsed and checked here, with the line of every problem; running them is the CLI's
// job (it owns the evaluator wiring). The format is documented in docs/policy.md.

import { dirname, resolve } from 'node:path';
import { PolicyLoadError, type PolicyLoadIssue } from '../errors.js';
import { isPlainObject, parseDataDocument, type DataDocument, type DocPath } from './document.js';
import { entityRefFromData } from './uid.js';
import type { EntityRef, SourceInput } from './types.js';

export interface PolicyTestCase {
  readonly name: string;
  readonly principal: EntityRef;
  readonly action: EntityRef;
  readonly resource: EntityRef;
  /** Cedar JSON values (`__entity`, `__extn` escapes allowed); integers are bigint, exact. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly expect: 'allow' | 'deny';
  /** When given: exactly these policies must determine the decision (order does not matter). */
  readonly reasons?: readonly string[];
  /** When given: exactly these policies must error (order does not matter); `[]` means none may. */
  readonly errors?: readonly string[];
  /** Where the case starts in the cases file. */
  readonly line: number;
}

export interface PolicyTestSuite {
  readonly file: string;
  /** Paths from the file's top-level keys, resolved against the cases file's directory. */
  readonly policies?: string;
  readonly entities?: string;
  readonly schema?: string;
  readonly links?: string;
  readonly cases: readonly PolicyTestCase[];
}

const TOP_KEYS = new Set(['policies', 'entities', 'schema', 'links', 'cases']);
const CASE_KEYS = new Set(['name', 'principal', 'action', 'resource', 'context', 'expect', 'reasons', 'errors']);
const HINT = 'See "Policy tests" in docs/policy.md for the format.';

/** `Action::"GET"`, or the shorthand `GET` for it: gateway actions are HTTP methods. */
function actionRef(value: unknown): ReturnType<typeof entityRefFromData> {
  if (typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(value)) return { ok: true, ref: { type: 'Action', id: value } };
  return entityRefFromData(value);
}

function stringList(doc: DataDocument, path: DocPath, value: unknown, issues: PolicyLoadIssue[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  issues.push(doc.issue('PCL_POLICY_CASES', path, 'expected a list of policy ids', HINT));
  return undefined;
}

function parseCase(doc: DataDocument, index: number, raw: unknown, issues: PolicyLoadIssue[]): PolicyTestCase | undefined {
  const path: DocPath = ['cases', index];
  const before = issues.length;
  const problem = (at: DocPath, message: string, hint = HINT): void => {
    issues.push(doc.issue('PCL_POLICY_CASES', [...path, ...at], `case #${index}: ${message}`, hint));
  };
  if (!isPlainObject(raw)) {
    problem([], 'expected an object with name, principal, action, resource, expect');
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!CASE_KEYS.has(key)) problem([key], `unknown key ${JSON.stringify(key)}`, `A case has the keys ${[...CASE_KEYS].join(', ')}.`);
  const name = raw['name'];
  if (typeof name !== 'string' || name === '') problem(['name'], '"name" must be a non-empty string');
  const refs: Partial<Record<'principal' | 'action' | 'resource', EntityRef>> = {};
  for (const key of ['principal', 'action', 'resource'] as const) {
    const ref = key === 'action' ? actionRef(raw[key]) : entityRefFromData(raw[key]);
    if (ref.ok) refs[key] = ref.ref;
    else problem([key], raw[key] === undefined ? `"${key}" is missing` : `${key}: ${ref.message}`, 'Write entity uids as User::"alice" (quote the YAML value: \'User::"alice"\') or {type: User, id: alice}.');
  }
  const context = raw['context'] ?? {};
  if (!isPlainObject(context)) problem(['context'], '"context" must be an object (a Cedar record)');
  const expect = raw['expect'];
  if (expect !== 'allow' && expect !== 'deny') problem(['expect'], '"expect" must be allow or deny');
  const reasons = stringList(doc, [...path, 'reasons'], raw['reasons'], issues);
  const errors = stringList(doc, [...path, 'errors'], raw['errors'], issues);
  if (issues.length > before || refs.principal === undefined || refs.action === undefined || refs.resource === undefined) return undefined;
  return {
    name: name as string,
    principal: refs.principal,
    action: refs.action,
    resource: refs.resource,
    context: context as Record<string, unknown>,
    expect: expect as 'allow' | 'deny',
    ...(reasons === undefined ? {} : { reasons }),
    ...(errors === undefined ? {} : { errors }),
    line: doc.at(path).line,
  };
}

/**
 * Parses a cases file. Throws PolicyLoadError (PCL_POLICY_CASES) listing every problem with its line.
 *
 * @example
 * const suite = parseTestCases({ file: 'test/policy-cases.yaml', content: await readFile(path) });
 * for (const c of suite.cases) console.log(c.name, c.expect);
 */
export function parseTestCases(input: SourceInput): PolicyTestSuite {
  const parsed = parseDataDocument(input.file, input.content, 'PCL_POLICY_CASES', { bigInts: true });
  if (!parsed.ok) throw new PolicyLoadError(parsed.issues);
  const { doc } = parsed;
  const top = doc.value;
  if (!isPlainObject(top) || !Array.isArray(top['cases'])) {
    throw new PolicyLoadError([doc.issue('PCL_POLICY_CASES', [], 'expected an object with a "cases" list', HINT)]);
  }
  const issues: PolicyLoadIssue[] = [];
  for (const key of Object.keys(top)) if (!TOP_KEYS.has(key)) issues.push(doc.issue('PCL_POLICY_CASES', [key], `unknown key ${JSON.stringify(key)}`, `The top level has the keys ${[...TOP_KEYS].join(', ')}.`));
  const paths: Partial<Record<'policies' | 'entities' | 'schema' | 'links', string>> = {};
  for (const key of ['policies', 'entities', 'schema', 'links'] as const) {
    const value = top[key];
    if (value === undefined) continue;
    if (typeof value === 'string' && value !== '') paths[key] = resolve(dirname(input.file), value);
    else issues.push(doc.issue('PCL_POLICY_CASES', [key], `"${key}" must be a path (relative to this file)`, HINT));
  }
  const cases: PolicyTestCase[] = [];
  const names = new Map<string, number>();
  top['cases'].forEach((raw: unknown, index: number) => {
    const c = parseCase(doc, index, raw, issues);
    if (c === undefined) return;
    const earlier = names.get(c.name);
    if (earlier !== undefined) issues.push(doc.issue('PCL_POLICY_CASES', ['cases', index, 'name'], `case #${index}: the name ${JSON.stringify(c.name)} is already used on line ${earlier}`, 'Give every case its own name, so a failure points at one case.'));
    names.set(c.name, c.line);
    cases.push(c);
  });
  if (cases.length === 0 && issues.length === 0) issues.push(doc.issue('PCL_POLICY_CASES', ['cases'], 'no cases', 'Add at least one case; an empty suite proves nothing.'));
  if (issues.length > 0) throw new PolicyLoadError(issues);
  return { file: input.file, ...paths, cases };
}

/** What a case got. */
export interface CaseOutcome {
  readonly decision: 'allow' | 'deny';
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? '(none)' : ids.join(', ');
}

/**
 * Every way the outcome differs from what the case expects; empty when the case passes.
 *
 * @example
 * checkCase(c, { decision: 'deny', reasons: [], errors: [] }) // ['expected allow, got deny']
 */
export function checkCase(c: PolicyTestCase, got: CaseOutcome): string[] {
  const failures: string[] = [];
  if (got.decision !== c.expect) failures.push(`expected ${c.expect}, got ${got.decision} (reasons: ${list(got.reasons)})`);
  if (c.reasons !== undefined && !sameSet(c.reasons, got.reasons)) failures.push(`expected reasons ${list(c.reasons)}, got ${list(got.reasons)}`);
  if (c.errors !== undefined && !sameSet(c.errors, got.errors)) failures.push(`expected erroring policies ${list(c.errors)}, got ${list(got.errors)}`);
  return failures;
}
