// Cedar policy text → Cedar's JSON form (EST), through cedar-wasm. `parseStatement` is the one way a
// policy statement is parsed, by parsePolicies below and by the loader (load/parse-file.ts) alike:
// screened against the lexer's limits first (cedar-wasm's parser traps on deeply nested input), then
// parsed once, with the exact value of integer literals beyond 2^53 put back (cedar-wasm hands them to
// JS as doubles, so 9007199254740993 would arrive as ...992).
//
// parsePolicies adds the engine's ids: `@id("...")` when present, else Cedar's default `policy<N>` by
// position in the file (templates share the counter, as in Cedar). The loader derives its own ids.

import type { DetailedError, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import { callCedar } from './cedar-wasm.js';
import { PolicyError, type PolicyErrorDetail } from './errors.js';
import { decodeText } from './json.js';
import { exceededLimit, restoreBigInts, scanStatements, type Statement } from './lexer.js';

/** One policy or template of a policy file, in Cedar's JSON form. */
export interface ParsedPolicy {
  readonly id: string;
  readonly kind: 'static' | 'template';
  /** The policy as Cedar JSON. Long literals beyond ±(2^53 - 1) are bigint (exact). */
  readonly est: PolicyJson;
  /** Slots a template uses (`?principal`, `?resource`); empty for a static policy. */
  readonly slots: readonly string[];
  /** The statement's own text and where it starts in the input (1-based line and column). */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/**
 * What parsing one statement gave: its EST, the limit it breaks (`at` is a UTF-16 index into the
 * whole text), or Cedar's errors (offsets are UTF-8 bytes into the statement's own text).
 */
export type StatementAnswer =
  | { readonly kind: 'parsed'; readonly est: PolicyJson }
  | { readonly kind: 'too-complex'; readonly at: number; readonly message: string }
  | { readonly kind: 'invalid'; readonly errors: readonly DetailedError[] };

/**
 * Parses one statement that `scanStatements(text)` found: a template when it has a slot, else a
 * static policy. Bad text is an answer, not an exception; only a failure of cedar-wasm itself throws
 * (PolicyError PCL_POLICY_ENGINE or PCL_POLICY_TOO_COMPLEX, see cedar-wasm.ts).
 *
 * @example
 * for (const statement of scanStatements(text)) {
 *   const answer = parseStatement(text, statement);
 *   if (answer.kind === 'parsed') use(answer.est);
 * }
 */
export function parseStatement(text: string, statement: Statement): StatementAnswer {
  const over = exceededLimit(statement);
  if (over !== undefined) return { kind: 'too-complex', ...over };
  const body = text.slice(statement.start, statement.end);
  const answer = callCedar((cedar) => (statement.hasSlot ? cedar.templateToJson(body) : cedar.policyToJson(body)));
  if (answer.type === 'failure') return { kind: 'invalid', errors: answer.errors };
  const est = restoreBigInts(answer.json, statement.bigInts);
  if (est !== undefined) return { kind: 'parsed', est };
  // Not expected to happen (every rounded number comes from a literal the lexer saw); refuse rather
  // than hand on a policy whose integers differ from what was written.
  const lost: DetailedError = {
    message: 'could not recover the exact value of an integer literal beyond ±2^53',
    help: 'Use smaller integers in this policy, and report it as a bug.',
    code: null,
    url: null,
    severity: null,
  };
  return { kind: 'invalid', errors: [lost] };
}

/** 1-based line and column (in UTF-16 code units) of a UTF-16 offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** UTF-16 offset inside `s` of a UTF-8 byte offset (cedar-wasm reports byte offsets). */
function byteToIndex(s: string, byteOffset: number): number {
  let bytes = 0;
  let i = 0;
  while (i < s.length && bytes < byteOffset) {
    const cp = s.codePointAt(i) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return i;
}

function describe(errors: readonly DetailedError[], text: string, stmt: Statement): PolicyErrorDetail[] {
  const body = text.slice(stmt.start, stmt.end);
  return errors.map((e) => {
    const loc = e.sourceLocations?.[0];
    const at = lineColumn(text, stmt.start + (loc === undefined ? 0 : byteToIndex(body, loc.start)));
    const help = e.help === null || e.help === undefined ? '' : ` (${e.help})`;
    return { message: `${e.message.replace(/^failed to parse (policy|template) from string: /, '')}${help}`, ...at };
  });
}

/**
 * Parse a Cedar policy file (text or UTF-8 bytes) into its policies and templates, in file order.
 * Throws PolicyError: PCL_POLICY_NOT_UTF8, PCL_POLICY_TOO_COMPLEX (nesting or operator limits),
 * PCL_POLICY_PARSE (every syntax error, with line and column) or PCL_POLICY_DUPLICATE_ID.
 *
 * @example
 * const [p] = parsePolicies('@id("admins") permit(principal in Role::"admin", action, resource);');
 * p.id === 'admins' && p.kind === 'static'
 */
export function parsePolicies(input: string | Uint8Array, options: { name?: string } = {}): ParsedPolicy[] {
  const name = options.name ?? 'policy text';
  const text = decodeText(input, name);
  const out: ParsedPolicy[] = [];
  const problems: PolicyErrorDetail[] = [];
  const ids = new Map<string, number>();
  scanStatements(text).forEach((stmt, index) => {
    const answer = parseStatement(text, stmt);
    if (answer.kind === 'too-complex') {
      const at = lineColumn(text, answer.at);
      throw new PolicyError('PCL_POLICY_TOO_COMPLEX', `${name}:${at.line}:${at.column}: ${answer.message}`, { details: [{ message: answer.message, ...at }] });
    }
    if (answer.kind === 'invalid') {
      problems.push(...describe(answer.errors, text, stmt));
      return;
    }
    const annotated = answer.est.annotations?.id;
    const id = typeof annotated === 'string' && annotated !== '' ? annotated : `policy${index}`;
    const at = lineColumn(text, stmt.start);
    if (ids.has(id)) {
      problems.push({ message: `duplicate policy id "${id}" (also used by the policy at line ${ids.get(id)})`, policyId: id, ...at });
      return;
    }
    ids.set(id, at.line);
    out.push({ id, kind: stmt.hasSlot ? 'template' : 'static', est: answer.est, slots: stmt.slots, text: text.slice(stmt.start, stmt.end), ...at });
  });
  if (problems.length > 0) {
    const dup = problems.every((p) => p.message.startsWith('duplicate policy id'));
    const first = problems[0] as PolicyErrorDetail;
    throw new PolicyError(dup ? 'PCL_POLICY_DUPLICATE_ID' : 'PCL_POLICY_PARSE', `${name}:${first.line}:${first.column}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { details: problems });
  }
  return out;
}
