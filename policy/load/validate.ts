// Strict-mode validation against a schema. cedar-wasm is handed each policy's own text keyed by our
// id, so every error it reports names the policy and carries offsets into that text, which we place
// back in the file. Errors in a linked policy are reported at the link, with the template named.

import { formatIssueLocation, type PolicyLoadIssue } from '../errors.js';
import { validateStrict, type Schema } from './cedar.js';
import { cedarTemplateLink, type ParsedLink } from './links.js';
import { issuesFromCedar, type ParsedStatement } from './parse-file.js';
import { SourceText } from './source.js';

export interface ValidationOutcome {
  readonly errors: PolicyLoadIssue[];
  readonly warnings: PolicyLoadIssue[];
}

const HINT = 'Make the policy match the schema (attribute names and types, entity types, which actions apply to which principals and resources).';

/**
 * Validates parsed statements and links against a schema in strict mode.
 *
 * @example
 * const { errors, warnings } = validatePolicies('gateway.cedarschema', schema, statements, links);
 */
export function validatePolicies(schemaFile: string, schema: Schema, statements: readonly ParsedStatement[], links: readonly ParsedLink[]): ValidationOutcome {
  const staticPolicies: Record<string, string> = {};
  const templates: Record<string, string> = {};
  const byId = new Map<string, ParsedStatement>();
  for (const s of statements) {
    (s.template ? templates : staticPolicies)[s.id] = s.text;
    byId.set(s.id, s);
  }
  const linkById = new Map(links.map((l) => [l.newId, l]));
  const answer = validateStrict(schemaFile, schema, staticPolicies, templates, links.map(cedarTemplateLink));
  if (answer.type === 'failure') {
    // Only the schema or the policy set as a whole can fail here; both were checked before.
    return { errors: issuesFromCedar('PCL_POLICY_VALIDATION', answer.errors, new SourceText(schemaFile, ''), 0, undefined, HINT), warnings: [] };
  }
  const place = (policyId: string, error: (typeof answer.validationErrors)[number]['error'], code: 'PCL_POLICY_VALIDATION'): PolicyLoadIssue[] => {
    const statement = byId.get(policyId);
    if (statement !== undefined) return issuesFromCedar(code, [error], statement.source, statement.start, policyId, HINT);
    const link = linkById.get(policyId);
    const template = link === undefined ? undefined : byId.get(link.templateId);
    if (link !== undefined) {
      const where = template === undefined ? '' : ` (template ${JSON.stringify(link.templateId)} at ${formatIssueLocation(template.position)})`;
      return [{ code, file: link.position.file, line: link.position.line, column: link.position.column, policyId, message: `${error.message}${where}`, hint: error.help ?? HINT }];
    }
    return [{ code, file: schemaFile, policyId, message: error.message, hint: error.help ?? HINT }];
  };
  return {
    errors: answer.validationErrors.flatMap((e) => place(e.policyId, e.error, 'PCL_POLICY_VALIDATION')),
    warnings: answer.validationWarnings.flatMap((e) => place(e.policyId, e.error, 'PCL_POLICY_VALIDATION')),
  };
}
