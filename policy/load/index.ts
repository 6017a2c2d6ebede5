// Public surface of policy/load: reading Cedar policy files, templates, links and schemas into plain
// data for the compiler, and the helpers the `portcullis policy` CLI needs. policy/index.ts re-exports
// all of it; code outside policy/ imports from there.

export { buildPolicySet, loadPolicies, type LoadPoliciesOptions, type PolicyInputs } from './load.js';
export { formatPolicyFile } from './format.js';
export { checkCase, parseTestCases, type CaseOutcome, type PolicyTestCase, type PolicyTestSuite } from './cases.js';
export { listPolicyFiles, readInputFile, readPolicySources, MAX_POLICY_FILES } from './read.js';
export { DEFAULT_MAX_FILE_BYTES } from './decode.js';
export { MAX_SCHEMA_DEPTH } from './schema.js';
export { derivedPolicyId } from './parse-file.js';
export { entityRefFromData, formatEntityRef, parseEntityRef } from './uid.js';
export { parseDataDocument, type DataDocument } from './document.js';
export { cedarLanguageVersion } from './cedar.js';
// The loader's error class lives with every other policy/ error; re-exported for the loader's users.
export { formatIssue, formatIssueLocation, loadError, PolicyLoadError, type PolicyLoadIssue } from '../errors.js';
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
