// The public surface of policy/: a Cedar 4 engine (parse → compile once → evaluate per request).
// Other modules import only from here. This file is an export list; add exports, not code.

// Errors
export { EvaluationError, POLICY_ERRORS, PolicyError } from './errors.js';
export type { EvaluationErrorCode, PolicyErrorCode, PolicyErrorDetail, PolicyErrorSpec } from './errors.js';

// Values
export {
  CedarRecord,
  CedarSet,
  EntityUID,
  ExtensionValue,
  formatValue,
  I64_MAX,
  I64_MIN,
  isValidEntityType,
  parseLong,
  typeName,
  valueEquals,
  valueToJson,
} from './values/index.js';
export type { ExtensionJsonArg, Long, Value, ValueJson } from './values/index.js';
export {
  callExtension,
  DateTimeValue,
  DecimalValue,
  DurationValue,
  EXTENSION_FUNCTIONS,
  IpAddrValue,
  parseDateTime,
  parseDecimal,
  parseDuration,
  parseIpAddr,
} from './extensions/index.js';
export type { ExtensionFunction } from './extensions/index.js';

// JSON (lossless)
export { decodeText, isLosslessNumber, LosslessNumber, MAX_JSON_DEPTH, parseJson, stringifyJson } from './json.js';

// Entities
export {
  EMPTY_ENTITY_STORE,
  entitiesFromJson,
  layerEntityStores,
  longFromJson,
  MAX_CLOSURE_ENTRIES,
  MemoryEntityStore,
  recordFromJson,
  uidFromJson,
  valueFromJson,
} from './entities.js';
export type { EntityData, EntityInput, EntityStore } from './entities.js';

// Parsing and compiling
export { MAX_POLICY_NESTING, MAX_POLICY_OPERATORS, parsePolicies } from './parse.js';
export type { ParsedPolicy } from './parse.js';
export { compileExpr, MAX_EXPR_DEPTH } from './eval/compile-expr.js';
export { compilePolicy } from './eval/policy.js';
export type { CompiledPolicy, CompileOptions, PolicyJson, SlotValues } from './eval/policy.js';
export {
  ACTION_MISMATCH,
  CONDITION_FALSE,
  makeRequest,
  PRINCIPAL_MISMATCH,
  RESOURCE_MISMATCH,
  SATISFIED,
} from './eval/types.js';
export type { Code, PolicyOutcome, PolicyScope, Request, ScopeConstraint } from './eval/types.js';

// Deciding
export { authorize, explain, verdict } from './authorize.js';
export type { AuthorizationResult, Explanation, PolicyEvaluationError, PolicyVerdict } from './authorize.js';
