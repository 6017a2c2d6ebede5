// One policy file: decoded, split into statements (../lexer.ts), each statement screened and parsed
// once by ../parse.ts's parseStatement (exact integers included), on its own so that cedar-wasm's
// byte offsets (relative to the text it was given) map back to a line and column in the file, and
// each problem can name the policy it is in.

import type { PolicyLoadIssue } from '../errors.js';
import { scanStatements, type Statement } from '../lexer.js';
import { parseStatement } from '../parse.js';
import { inFile, type DetailedError, type PolicyJson } from './cedar.js';
import { decodeSource } from './decode.js';
import { SourceText } from './source.js';
import type { Annotations, ClauseSource, Effect, SlotId, SourceInput, SourcePosition } from './types.js';

export interface ParsedStatement {
  readonly id: string;
  readonly template: boolean;
  readonly effect: Effect;
  readonly est: PolicyJson;
  readonly annotations: Annotations;
  readonly slots: readonly SlotId[];
  readonly position: SourcePosition;
  readonly clauses: readonly ClauseSource[];
  /** 0-based position among the file's statements. */
  readonly index: number;
  /** The statement's own text: validation reparses it so that its errors carry offsets. */
  readonly text: string;
  /** UTF-16 index of `text` in the file, to place offsets cedar-wasm reports relative to `text`. */
  readonly start: number;
  readonly source: SourceText;
}

export interface ParsedFile {
  readonly statements: ParsedStatement[];
  readonly issues: PolicyLoadIssue[];
}

/**
 * The id a policy gets without `@id`: the file's stable name (relative to the policy directory) and
 * the statement's 0-based position in that file, e.g. `routes/admin.cedar#2`.
 */
export function derivedPolicyId(name: string, index: number): string {
  return `${name}#${index}`;
}

// cedar-wasm prefixes messages with what the issue's file, line and policy id already say.
const NOISE = /^(?:cannot parse input policies: |failed to parse (?:policy|template)(?: with id `[^`]*`)? from string: |for policy `[^`]*`, )/;

/** Issues for each cedar-wasm error, placed in the file. Exported for the validator, which does the same. */
export function issuesFromCedar(
  code: PolicyLoadIssue['code'],
  errors: readonly DetailedError[],
  source: SourceText,
  start: number,
  policyId: string | undefined,
  fallbackHint: string,
): PolicyLoadIssue[] {
  const issues: PolicyLoadIssue[] = [];
  for (const error of errors) {
    const where = error.sourceLocations?.[0];
    const label = where?.label == null ? '' : `; ${where.label}`;
    const related = (error.related ?? []).map((r) => `; ${r.message}`).join('');
    issues.push({
      code,
      file: source.file,
      ...(where === undefined ? source.position(start) : source.positionOfByteOffset(start, where.start)),
      ...(policyId === undefined ? {} : { policyId }),
      message: `${error.message.replace(NOISE, '')}${label}${related}`,
      hint: error.help?.replace(NOISE, '') ?? fallbackHint,
    });
  }
  return issues;
}

function slotsOf(est: PolicyJson): SlotId[] {
  const slots: SlotId[] = [];
  const usesSlot = (c: object): boolean => 'slot' in c || ('in' in c && typeof c.in === 'object' && c.in !== null && 'slot' in c.in);
  if (usesSlot(est.principal)) slots.push('?principal');
  if (usesSlot(est.resource)) slots.push('?resource');
  return slots;
}

function parseOne(input: { name: string; source: SourceText }, statement: Statement, index: number, issues: PolicyLoadIssue[]): ParsedStatement | undefined {
  const { source } = input;
  const fallbackId = statement.annotatedId ?? derivedPolicyId(input.name, index);
  const issue = (at: number, message: string, hint: string, code: PolicyLoadIssue['code'] = 'PCL_POLICY_PARSE'): void => {
    issues.push({ code, file: source.file, ...source.position(at), policyId: fallbackId, message, hint });
  };
  const parsed = inFile(source.file, () => parseStatement(source.text, statement));
  if (parsed.kind === 'too-complex') {
    issue(parsed.at, parsed.message, 'Split the condition into several `when` clauses or policies, or move long lists into entity attributes.', 'PCL_POLICY_TOO_COMPLEX');
    return undefined;
  }
  if (parsed.kind === 'invalid') {
    issues.push(...issuesFromCedar('PCL_POLICY_PARSE', parsed.errors, source, statement.start, fallbackId, 'Check the Cedar syntax at this point (see docs/policy.md).'));
    return undefined;
  }
  const { est } = parsed;
  const annotations: Annotations = est.annotations ?? {};
  const declaredId: unknown = annotations['id'];
  if (declaredId === null || declaredId === '') {
    issue(statement.start, '@id needs a non-empty value', 'Write @id("some-unique-name") or remove the annotation to get a derived id.');
    return undefined;
  }
  const id = typeof declaredId === 'string' ? declaredId : derivedPolicyId(input.name, index);
  return {
    id,
    template: statement.hasSlot,
    effect: est.effect,
    est,
    annotations,
    slots: slotsOf(est),
    position: { file: source.file, ...source.position(statement.start) },
    clauses: statement.clauses.map((c) => ({ kind: c.kind, text: source.text.slice(c.start, c.end), file: source.file, ...source.position(c.start) })),
    index,
    text: source.text.slice(statement.start, statement.end),
    start: statement.start,
    source,
  };
}

/**
 * Decodes and parses one policy file. Never throws for bad content: every problem becomes an issue,
 * so a caller loading many files can report them all.
 *
 * @example
 * const { statements, issues } = parsePolicyFile({ file: 'policies/a.cedar', name: 'a.cedar', content }, 1 << 20);
 */
export function parsePolicyFile(input: SourceInput, maxBytes: number): ParsedFile {
  const decoded = decodeSource(input.file, input.content, maxBytes);
  if (!decoded.ok) return { statements: [], issues: [decoded.issue] };
  const source = new SourceText(input.file, decoded.text);
  const issues: PolicyLoadIssue[] = [];
  const statements: ParsedStatement[] = [];
  scanStatements(decoded.text).forEach((statement, index) => {
    const parsed = parseOne({ name: input.name ?? input.file, source }, statement, index, issues);
    if (parsed !== undefined) statements.push(parsed);
  });
  return { statements, issues };
}
