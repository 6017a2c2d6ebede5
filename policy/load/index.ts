// Public surface of policy/load: reading Cedar policy files, templates, links and schemas into plain
// data for the compiler, and the helpers the `portcullis policy` CLI needs.

export { buildPolicySet, loadPolicies, type LoadPoliciesOptions, type PolicyInputs } from './load.js';
export { formatPolicyFile } from './format.js';
export { checkCase, parseTestCases, type CaseOutcome, type PolicyTestCase, type PolicyTestSuite } from './cases.js';
export { listPolicyFiles, readInputFile, readPolicySources, MAX_POLICY_FILES } from './read.js';
export { DEFAULT_MAX_FILE_BYTES } from './decode.js';
export { STATEMENT_LIMITS } from './scan.js';
export { MAX_SCHEMA_DEPTH } from './schema.js';
export { derivedPolicyId } from './parse-file.js';
export { entityRefFromData, formatEntityRef, isEntityTypeName, parseEntityRef } from './uid.js';
export { parseDataDocument, type DataDocument } from './document.js';
export { cedarLanguageVersion } from './cedar.js';
export {
  formatIssue,
  formatIssueLocation,
  loadError,
  POLICY_LOAD_CODES,
  PolicyLoadError,
  type PolicyLoadCode,
  type PolicyLoadIssue,
} from './errors.js';
export type {
  ActionEntity,
  Annotations,
  ClauseSource,
  Effect,
  EntityRef,
  LoadedPolicy,
  LoadedPolicySet,
  LoadedTemplate,
  SlotId,
  SourceInput,
  SourcePosition,
} from './types.js';
