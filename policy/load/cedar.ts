// The cedar-wasm calls policy/load makes, through ../cedar-wasm.ts (which decides what an engine
// failure means and replaces the instance). Here such a failure only gets the file it happened in:
// the loader reports every problem as a PolicyLoadError issue placed in a file.

import type { DetailedError, FormattingAnswer, PolicyJson, Schema, SchemaJson, TemplateLink, ValidationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { callCedar } from '../cedar-wasm.js';
import { loadError, PolicyError } from '../errors.js';

export type { DetailedError, PolicyJson, Schema, TemplateLink };

/**
 * Runs `call` (which reaches cedar-wasm) for `file`, turning an engine failure into a PolicyLoadError
 * with the same code, placed at the file.
 *
 * @example
 * const answer = inFile('a.cedar', () => parseStatement(text, statement));
 */
export function inFile<T>(file: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw loadError(err.code, file, err.details[0]?.message ?? err.message, err.code === 'PCL_POLICY_ENGINE' ? err.hint : 'Split large policies, lists or schemas into smaller ones.');
  }
}

/** Schema text (Cedar format) or a parsed JSON schema; errors only. */
export function checkSchema(file: string, schema: Schema): DetailedError[] {
  const answer = inFile(file, () => callCedar((cedar) => cedar.checkParseSchema(schema)));
  return answer.type === 'success' ? [] : answer.errors;
}

/** The JSON form of a schema (it has already passed `checkSchema`). */
export function schemaJson(file: string, schema: Schema): SchemaJson<string> | undefined {
  const answer = inFile(file, () => callCedar((cedar) => cedar.schemaToJson(schema)));
  return answer.type === 'success' ? answer.json : undefined;
}

/** Strict validation of policy and template texts (keyed by id, so errors name our ids) and links. */
export function validateStrict(
  file: string,
  schema: Schema,
  staticPolicies: Record<string, string>,
  templates: Record<string, string>,
  templateLinks: TemplateLink[],
): ValidationAnswer {
  return inFile(file, () =>
    callCedar((cedar) => cedar.validate({ schema, validationSettings: { mode: 'strict' }, policies: { staticPolicies, templates, templateLinks } })),
  );
}

/** cedar-wasm's formatter (the same as `cedar format`). */
export function formatCedar(file: string, text: string): FormattingAnswer {
  return inFile(file, () => callCedar((cedar) => cedar.formatPolicies({ policyText: text })));
}

/** The Cedar language version the engine implements, for `policy validate` output and bug reports. */
export function cedarLanguageVersion(): string {
  return callCedar((cedar) => cedar.getCedarLangVersion());
}
