// Every error policy/ raises is declared here: the load-time errors (`PolicyError`, thrown when policy
// text, policy JSON or entity JSON is rejected) with their stable code and HTTP status, and the
// evaluation errors (`EvaluationError`, values that make one policy not apply, reported per policy in
// an authorization result). Messages may quote attribute names, entity types and ids, never attribute
// or context values: those can carry tokens and personal data.

export interface PolicyErrorSpec {
  status: number;
  message: string;
  hint: string;
}

/**
 * Every load-time policy/ error code with its HTTP status, message and hint; the one place a status
 * is chosen.
 *
 * @example
 * reply.code(POLICY_ERRORS[err.code].status);
 */
export const POLICY_ERRORS = {
  // Policy text.
  PCL_POLICY_ENCODING: { status: 400, message: 'The input is not valid UTF-8 text.', hint: 'Save the file as UTF-8 (without invalid bytes or unpaired surrogates).' },
  PCL_POLICY_PARSE: { status: 400, message: 'The policy text is not valid Cedar.', hint: 'Fix the syntax at the reported line and column; `portcullis policy validate` shows every error.' },
  PCL_POLICY_TOO_COMPLEX: { status: 400, message: 'The policy is nested too deeply or has too many operators.', hint: 'Split it into several policies or flatten the expression (limits: 48 nested brackets, 256 operators per policy).' },
  PCL_POLICY_DUPLICATE_ID: { status: 400, message: 'Two policies have the same id.', hint: 'Give every policy a unique @id("...") annotation.' },

  // Policy JSON (EST) handed to the compiler.
  PCL_POLICY_INVALID_JSON_POLICY: { status: 400, message: 'The policy JSON is not a valid Cedar policy.', hint: 'Produce it from Cedar text (portcullis policy format --json) or follow the Cedar JSON policy format.' },
  PCL_POLICY_UNKNOWN_FUNCTION: { status: 400, message: 'The policy calls an unknown extension function.', hint: 'Use one of the ipaddr, decimal and datetime functions of Cedar 4.' },
  PCL_POLICY_UNLINKED_SLOT: { status: 400, message: 'A template slot has no value.', hint: 'Link the template with values for ?principal and/or ?resource.' },

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
} as const satisfies Record<string, PolicyErrorSpec>;

/** A stable load-time error code, e.g. `PCL_POLICY_PARSE`. */
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
 * The one error class policy/ throws. `code` is stable and safe to match on; `details` lists every
 * located problem (all parse errors of a file, not just the first).
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
