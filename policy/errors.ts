// Every error policy/ raises is declared here, for the engine and the loader alike:
//  - POLICY_ERRORS, the one catalogue of PCL_POLICY_* codes with their HTTP status, message and hint;
//  - PolicyError, thrown when policy text, policy JSON, entity JSON or a request is rejected;
//  - PolicyLoadError, thrown by policy/load with every problem of a load as a placed issue;
//  - EvaluationError, values that make one policy not apply, reported per policy in a result.
// Messages may quote attribute names, entity types and ids, never attribute or context values: those
// can carry tokens and personal data.

import { IF_OPERATOR_WEIGHT, MAX_POLICY_NESTING, MAX_POLICY_OPERATORS } from './lexer.js';

export interface PolicyErrorSpec {
  status: number;
  message: string;
  hint: string;
}

/**
 * Every PCL_POLICY_* error code (engine and loader) with its HTTP status, message and generic hint;
 * the one place a status is chosen. Issues of a PolicyLoadError carry a hint specific to the problem.
 *
 * @example
 * reply.code(POLICY_ERRORS[err.code].status);
 */
export const POLICY_ERRORS = {
  // Reading files.
  PCL_POLICY_READ: { status: 400, message: 'A file could not be read.', hint: 'Check the path and that this user may read it.' },
  PCL_POLICY_EMPTY: { status: 400, message: 'The policy directory holds no *.cedar file.', hint: 'Put policies in files ending in .cedar; an empty policy set would deny every request.' },
  PCL_POLICY_TOO_LARGE: { status: 413, message: 'A file, or the number of policy files, is over its limit.', hint: 'Split large files and merge many small ones (the limits are in docs/policy.md), or raise the limit if the size is intended.' },
  PCL_POLICY_NOT_UTF8: { status: 400, message: 'The input is not valid UTF-8 text.', hint: 'Save the file as UTF-8 (without invalid bytes or unpaired surrogates).' },

  // Policy text.
  PCL_POLICY_PARSE: { status: 400, message: 'The policy text is not valid Cedar.', hint: 'Fix the syntax at the reported line and column; `portcullis policy validate` shows every error.' },
  PCL_POLICY_TOO_COMPLEX: {
    status: 400,
    message: 'The policy is nested too deeply or has too many operators.',
    hint: `Split it into several policies or flatten the expression (limits: ${MAX_POLICY_NESTING} brackets open at once and ${MAX_POLICY_OPERATORS} operators per policy, each \`if\` counting ${IF_OPERATOR_WEIGHT}; see docs/policy.md).`,
  },
  PCL_POLICY_DUPLICATE_ID: { status: 409, message: 'Two policies have the same id.', hint: 'Give every policy, template and link a unique @id("...") annotation or id.' },
  PCL_POLICY_ENGINE: { status: 500, message: 'The Cedar engine failed.', hint: 'Report the input that made it fail; the engine is replaced and later inputs are not affected.' },

  // Policy JSON (EST) handed to the compiler.
  PCL_POLICY_INVALID_JSON_POLICY: { status: 400, message: 'The policy JSON is not a valid Cedar policy.', hint: 'Produce it from Cedar text (portcullis policy format --json) or follow the Cedar JSON policy format.' },
  PCL_POLICY_UNKNOWN_FUNCTION: { status: 400, message: 'The policy calls an unknown extension function.', hint: 'Use one of the ipaddr, decimal and datetime functions of Cedar 4.' },
  PCL_POLICY_UNLINKED_SLOT: { status: 400, message: 'A template slot has no value.', hint: 'Link the template with values for ?principal and/or ?resource.' },

  // Schemas, template links, validation.
  PCL_POLICY_SCHEMA: { status: 400, message: 'The schema is not a valid Cedar schema.', hint: 'Fix the schema at the reported line and column.' },
  PCL_POLICY_LINK: { status: 400, message: 'A template link is not valid.', hint: 'Name an existing template, a new unique id and a value for exactly the slots it uses.' },
  PCL_POLICY_VALIDATION: { status: 400, message: 'A policy does not match the schema.', hint: 'Make the policy match the schema (attribute names and types, entity types, which actions apply to what).' },

  // JSON documents (entities, contexts).
  PCL_POLICY_JSON_SYNTAX: { status: 400, message: 'The JSON document is malformed.', hint: 'Fix the JSON syntax at the reported position (duplicate keys are rejected too).' },
  PCL_POLICY_JSON_TOO_DEEP: { status: 400, message: 'The JSON document is nested too deeply.', hint: 'Keep values nested at most 256 levels.' },
  PCL_POLICY_JSON_NUMBER: { status: 400, message: 'A number is not a 64-bit signed integer.', hint: 'Cedar values hold integers from -9223372036854775808 to 9223372036854775807; use a string or decimal("...") for anything else.' },
  PCL_POLICY_VALUE_INVALID: { status: 400, message: 'A value is not a valid Cedar value.', hint: 'Use booleans, integers, strings, arrays, objects, {"__entity": {"type", "id"}} or {"__extn": {"fn", "arg"}}; null is not allowed.' },

  // Entity data.
  PCL_POLICY_ENTITY_INVALID: { status: 400, message: 'The entity data is not valid Cedar entity JSON.', hint: 'Use an array of {"uid": {"type", "id"}, "attrs": {}, "parents": [], "tags": {}} objects.' },
  PCL_POLICY_ENTITY_TYPE: { status: 400, message: 'An entity type name is not valid.', hint: 'Use identifiers joined by "::" such as "User" or "App::Document".' },
  PCL_POLICY_ENTITY_DUPLICATE: { status: 400, message: 'The same entity is defined twice.', hint: 'Merge the two definitions into one.' },
  PCL_POLICY_ENTITY_CYCLE: { status: 400, message: 'The entity hierarchy has a cycle.', hint: 'Remove one of the parent links on the reported path; Cedar hierarchies must be acyclic.' },

  // Requests.
  PCL_POLICY_REQUEST_INVALID: { status: 400, message: 'The authorization request is not valid.', hint: 'Give principal, action and resource as entity uids and the context as a record.' },
  PCL_POLICY_REQUEST: { status: 400, message: 'A request on the command line or in a test case is malformed.', hint: 'Write uids as Type::"id" and the context as a JSON object.' },

  // The `portcullis policy` commands.
  PCL_POLICY_CASES: { status: 400, message: 'The policy test cases file is malformed.', hint: 'Follow the cases file format in docs/policy.md.' },
  PCL_POLICY_UNFORMATTED: { status: 400, message: 'Files are not in the canonical Cedar format.', hint: 'Run `portcullis policy format --write` on them.' },
  PCL_POLICY_USAGE: { status: 400, message: 'The command was given options that do not go together.', hint: 'See `portcullis policy --help`.' },
  PCL_POLICY_TEST_FAILED: { status: 400, message: 'At least one policy test case did not get its expected decision.', hint: 'Fix the policies or the expected decisions of the failing cases.' },
} as const satisfies Record<string, PolicyErrorSpec>;

/** A stable error code, e.g. `PCL_POLICY_PARSE`. */
export type PolicyErrorCode = keyof typeof POLICY_ERRORS;

/** One located problem inside a rejected document (a parse error at a line, a bad entity at a path). */
export interface PolicyErrorDetail {
  message: string;
  /** 1-based line and column in the policy text, when known. */
  line?: number;
  column?: number;
  /** Where in a JSON document, e.g. `[3].attrs.owner`. */
  path?: string;
  /** Which policy (id) the problem is in, when known. */
  policyId?: string;
}

/**
 * The error the engine throws (parsing, compiling, entities, requests); policy/load throws
 * PolicyLoadError instead. `code` is stable and safe to match on; `details` lists every located
 * problem (all parse errors of a file, not just the first).
 *
 * @example
 * try {
 *   parsePolicies(text);
 * } catch (err) {
 *   if (err instanceof PolicyError && err.code === 'PCL_POLICY_PARSE') {
 *     for (const d of err.details) console.error(`${d.line}:${d.column} ${d.message}`);
 *   }
 * }
 */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly details: readonly PolicyErrorDetail[];

  constructor(code: PolicyErrorCode, detail?: string, options?: { cause?: unknown; details?: readonly PolicyErrorDetail[] }) {
    const spec: PolicyErrorSpec = POLICY_ERRORS[code];
    super(detail === undefined ? `${spec.message} ${spec.hint}` : `${spec.message} ${detail}. ${spec.hint}`, options);
    this.name = 'PolicyError';
    this.code = code;
    this.status = spec.status;
    this.hint = spec.hint;
    this.details = options?.details ?? (detail === undefined ? [] : [{ message: detail }]);
  }
}

/** One problem at one place in a file being loaded. `line` and `column` are 1-based; columns count Unicode code points. */
export interface PolicyLoadIssue {
  readonly code: PolicyErrorCode;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly policyId?: string;
  readonly message: string;
  /** What to do about it, in one sentence. */
  readonly hint: string;
}

/** `file:line:col` as editors and terminals understand it; only the parts that are known. */
export function formatIssueLocation(issue: Pick<PolicyLoadIssue, 'file' | 'line' | 'column'>): string {
  if (issue.line === undefined) return issue.file;
  if (issue.column === undefined) return `${issue.file}:${issue.line}`;
  return `${issue.file}:${issue.line}:${issue.column}`;
}

/** `FILE:LINE:COL  policyId  message` and an indented hint line: the CLI's report of one issue. */
export function formatIssue(issue: PolicyLoadIssue): string {
  const id = issue.policyId === undefined ? '' : `  ${issue.policyId}`;
  return `${formatIssueLocation(issue)}${id}  ${issue.message}\n    hint: ${issue.hint}`;
}

/**
 * Loading failed. `issues` lists every problem found in the stage that failed (all files are read and
 * parsed before giving up, so one run shows them all); `code` is the code of the first issue and
 * `status` its status in POLICY_ERRORS.
 *
 * @example
 * try {
 *   await loadPolicies('policies/');
 * } catch (err) {
 *   if (err instanceof PolicyLoadError) for (const issue of err.issues) console.error(formatIssue(issue));
 * }
 */
export class PolicyLoadError extends Error {
  readonly code: PolicyErrorCode;
  readonly status: number;
  readonly issues: readonly PolicyLoadIssue[];

  constructor(issues: readonly PolicyLoadIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new TypeError('PolicyLoadError needs at least one issue');
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more ${issues.length === 2 ? 'problem' : 'problems'})` : '';
    const id = first.policyId === undefined ? '' : ` in policy ${JSON.stringify(first.policyId)}`;
    super(`${formatIssueLocation(first)}${id}: ${first.message}${more}`);
    this.name = 'PolicyLoadError';
    this.code = first.code;
    this.status = POLICY_ERRORS[first.code].status;
    this.issues = issues;
  }
}

/**
 * A single-issue load error, for the many places that find exactly one problem.
 *
 * @example
 * throw loadError('PCL_POLICY_READ', path, 'is not a regular file', 'Give the path of a regular file.');
 */
export function loadError(code: PolicyErrorCode, file: string, message: string, hint: string, at: Partial<Pick<PolicyLoadIssue, 'line' | 'column' | 'policyId'>> = {}): PolicyLoadError {
  return new PolicyLoadError([{ code, file, message, hint, ...at }]);
}

/**
 * What made a policy fail while it was evaluated. Cedar semantics: such a policy does not apply and
 * its id is reported in the result's errors; other policies still decide.
 */
export type EvaluationErrorCode =
  | 'PCL_POLICY_EVAL_TYPE'
  | 'PCL_POLICY_EVAL_OVERFLOW'
  | 'PCL_POLICY_EVAL_NO_ATTRIBUTE'
  | 'PCL_POLICY_EVAL_NO_ENTITY'
  | 'PCL_POLICY_EVAL_NO_TAG'
  | 'PCL_POLICY_EVAL_EXTENSION'
  | 'PCL_POLICY_EVAL_ARITY';

/**
 * An evaluation error. Deliberately not an `Error` subclass: it is thrown and caught inside the
 * evaluator on hot paths (every request a policy errors on), where capturing a stack trace would cost
 * more than the evaluation itself. It never escapes `CompiledPolicy.evaluate` or `authorize`.
 *
 * @example
 * const outcome = policy.evaluate(request, store);
 * if (outcome instanceof EvaluationError) log.warn({ policy: policy.id, code: outcome.code }, outcome.message);
 */
export class EvaluationError {
  readonly code: EvaluationErrorCode;
  readonly message: string;

  constructor(code: EvaluationErrorCode, message: string) {
    this.code = code;
    this.message = message;
  }

  toString(): string {
    return `${this.code}: ${this.message}`;
  }
}
