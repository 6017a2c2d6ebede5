// The one place policy/load calls cedar-wasm. Every call is screened by the caller (scan.ts limits)
// and wrapped here, because a cedar-wasm failure comes in two kinds that need opposite handling: a
// JavaScript-side stack or recursion error (recoverable, the input was too big for it) and a wasm trap
// (the instance's memory is corrupt, every later call would fail too).

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { DetailedError, FormattingAnswer, PolicyJson, Schema, SchemaJson, TemplateLink, ValidationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { loadError } from './errors.js';

export type { DetailedError, PolicyJson, Schema, TemplateLink };

export type ParseAnswer = { ok: true; est: PolicyJson } | { ok: false; errors: DetailedError[] };

let trapped = false;

/** Runs a cedar-wasm call for `file`, turning its failures into PolicyLoadErrors. */
function engineCall<T>(file: string, call: () => T): T {
  if (trapped) {
    throw loadError('PCL_POLICY_ENGINE', file, 'the Cedar engine failed earlier in this process and cannot be used again', 'Restart the process; report the input that made it fail.');
  }
  try {
    return call();
  } catch (err) {
    // WebAssembly.RuntimeError: a trap (out-of-bounds memory after a stack overflow, a Rust panic).
    if (err instanceof Error && err.name === 'RuntimeError') {
      trapped = true;
      throw loadError('PCL_POLICY_ENGINE', file, `the Cedar engine failed: ${err.message}`, 'Restart the process; report the input that made it fail.');
    }
    // "Maximum call stack size exceeded" (JS glue) or serde's "recursion limit exceeded".
    const message = err instanceof Error ? err.message : String(err);
    throw loadError('PCL_POLICY_TOO_COMPLEX', file, `the Cedar engine could not process this input: ${message.split('\n')[0] ?? ''}`, 'Split large policies, lists or schemas into smaller ones.');
  }
}

/** Parses one statement (a static policy, or a template when `template`) to cedar-wasm's JSON form. */
export function parseStatement(file: string, text: string, template: boolean): ParseAnswer {
  const answer = engineCall(file, () => (template ? cedar.templateToJson(text) : cedar.policyToJson(text)));
  return answer.type === 'success' ? { ok: true, est: answer.json } : { ok: false, errors: answer.errors };
}

/** Schema text (Cedar format) or a parsed JSON schema; errors only. */
export function checkSchema(file: string, schema: Schema): DetailedError[] {
  const answer = engineCall(file, () => cedar.checkParseSchema(schema));
  return answer.type === 'success' ? [] : answer.errors;
}

/** The JSON form of a schema (it has already passed `checkSchema`). */
export function schemaJson(file: string, schema: Schema): SchemaJson<string> | undefined {
  const answer = engineCall(file, () => cedar.schemaToJson(schema));
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
  return engineCall(file, () =>
    cedar.validate({ schema, validationSettings: { mode: 'strict' }, policies: { staticPolicies, templates, templateLinks } }),
  );
}

/** cedar-wasm's formatter (the same as `cedar format`). */
export function formatCedar(file: string, text: string): FormattingAnswer {
  return engineCall(file, () => cedar.formatPolicies({ policyText: text }));
}

/** The Cedar language version the engine implements, for `policy validate` output and bug reports. */
export function cedarLanguageVersion(): string {
  return cedar.getCedarLangVersion();
}
