// Canonical formatting of policy files (cedar-wasm's formatter, the same as `cedar format`), screened
// like every other input before it reaches the engine.

import { PolicyLoadError, type PolicyLoadIssue } from '../errors.js';
import { exceededLimit, scanStatements } from '../lexer.js';
import { formatCedar } from './cedar.js';
import { decodeSource, DEFAULT_MAX_FILE_BYTES } from './decode.js';
import { issuesFromCedar, parsePolicyFile, type ParsedStatement } from './parse-file.js';
import { SourceText } from './source.js';
import type { SourceInput } from './types.js';

/**
 * The file's text in canonical Cedar format. Comments are kept; annotations and policy order too.
 * Throws PolicyLoadError (parse errors with line and column) when the text is not valid Cedar.
 *
 * @example
 * const formatted = formatPolicyFile({ file: 'a.cedar', content: 'permit(principal,action,resource);' });
 * // 'permit (principal, action, resource);\n'
 */
export function formatPolicyFile(input: SourceInput, maxBytes = DEFAULT_MAX_FILE_BYTES): string {
  const decoded = decodeSource(input.file, input.content, maxBytes);
  if (!decoded.ok) throw new PolicyLoadError([decoded.issue]);
  const source = new SourceText(input.file, decoded.text);
  const issues: PolicyLoadIssue[] = [];
  const statements = scanStatements(decoded.text);
  for (const statement of statements) {
    const tooComplex = exceededLimit(statement);
    if (tooComplex === undefined) continue;
    issues.push({ code: 'PCL_POLICY_TOO_COMPLEX', file: input.file, ...source.position(tooComplex.at), message: tooComplex.message, hint: 'Split the condition into several `when` clauses or policies.' });
  }
  if (issues.length > 0) throw new PolicyLoadError(issues);
  // Comments only: nothing to format, and the formatter would drop them.
  if (statements.length === 0) return decoded.text;
  const answer = formatCedar(input.file, decoded.text);
  if (answer.type === 'failure') {
    throw new PolicyLoadError(issuesFromCedar('PCL_POLICY_PARSE', answer.errors, source, 0, undefined, 'Fix the syntax first; only valid Cedar can be formatted.'));
  }
  checkSameMeaning(input, decoded.text, answer.formatted_policy, maxBytes);
  return answer.formatted_policy;
}

/** The `//` comments of Cedar text, trimmed, in order. */
function commentsOf(text: string): string[] {
  const comments: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (text[i] === '/' && text[i + 1] === '/') {
      const start = i;
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      comments.push(text.slice(start, i).trim());
    }
  }
  return comments;
}

function meaning(statements: readonly ParsedStatement[]): string {
  return JSON.stringify(
    statements.map((s) => [s.id, s.est]),
    (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value),
  );
}

/**
 * `--write` replaces files, so the formatter's output must say exactly what the input said: the same
 * policies (ids, effects, scopes, conditions, annotations) and the same comments. Anything else is a
 * formatter bug and the file is left alone.
 */
function checkSameMeaning(input: SourceInput, before: string, after: string, maxBytes: number): void {
  const refuse = (what: string): never => {
    throw new PolicyLoadError([{ code: 'PCL_POLICY_ENGINE', file: input.file, message: `the formatter would change ${what}; the file was not formatted`, hint: 'Report this file as a formatter bug; format it by hand meanwhile.' }]);
  };
  const a = parsePolicyFile({ ...input, content: before }, maxBytes);
  const b = parsePolicyFile({ ...input, content: after }, Math.max(maxBytes, after.length * 4));
  if (b.issues.length > 0 || meaning(a.statements) !== meaning(b.statements)) refuse('what the policies mean');
  if (JSON.stringify(commentsOf(before)) !== JSON.stringify(commentsOf(after))) refuse('the comments');
}
