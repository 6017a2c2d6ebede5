// The public surface of policy/: a Cedar 4 engine (parse → compile once → evaluate per request).
// Other modules import only from here. This file is an export list; add exports, not code.

// Errors (engine and loader: one catalogue of codes and statuses)
export { EvaluationError, formatIssue, formatIssueLocation, loadError, POLICY_ERRORS, PolicyError, PolicyLoadError } from './errors.js';
export type { EvaluationErrorCode, PolicyErrorCode, PolicyErrorDetail, PolicyErrorSpec, PolicyLoadIssue } from './errors.js';

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
export { IF_OPERATOR_WEIGHT, MAX_POLICY_NESTING, MAX_POLICY_OPERATORS } from './lexer.js';
export { parsePolicies } from './parse.js';
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

// Loading: policy files, templates, links and schemas → plain data for the compiler, and the helpers
// of the `portcullis policy` CLI
export {
  buildPolicySet,
  cedarLanguageVersion,
  checkCase,
  DEFAULT_MAX_FILE_BYTES,
  derivedPolicyId,
  entityRefFromData,
  formatEntityRef,
  formatPolicyFile,
  listPolicyFiles,
  loadPolicies,
  MAX_POLICY_FILES,
  MAX_SCHEMA_DEPTH,
  parseDataDocument,
  parseEntityRef,
  parseTestCases,
  readInputFile,
  readPolicySources,
} from './load/index.js';
export type {
  ActionEntity,
  Annotations,
  CaseOutcome,
  ClauseSource,
  DataDocument,
  Effect,
  EntityRef,
  LoadedPolicy,
  LoadedPolicySet,
  LoadedTemplate,
  LoadPoliciesOptions,
  PolicyInputs,
  PolicyTestCase,
  PolicyTestSuite,
  SlotId,
  SourceInput,
  SourcePosition,
} from './load/index.js';

// Policy sets (scope-indexed decisions), from ./policy-set.ts. Keep this section last: its owner adds
// `export { PolicySet, PolicyEngine, ... } from './policy-set.js';` and its types here.
export { PolicyEngine, PolicySet, type IndexedExplanation, type LoadedPolicies, type PolicySetOptions } from './policy-set.js';
