// Errors of loading policies, schemas, template links and policy test cases. One class, a stable code
// per kind of problem, and every individual problem as an issue that names the place to fix it.

/** Every code a {@link PolicyLoadError} can carry, with the HTTP status the admin API maps it to. */
export const POLICY_LOAD_CODES = {
  /** A path could not be read (missing, not a file, permission). */
  PCL_POLICY_READ: 400,
  /** A directory held no `*.cedar` file: loading it would silently deny every request. */
  PCL_POLICY_EMPTY: 400,
  PCL_POLICY_NOT_UTF8: 400,
  PCL_POLICY_TOO_LARGE: 413,
  /** Nesting or operator chains beyond what the Cedar parser can take without exhausting its stack. */
  PCL_POLICY_TOO_COMPLEX: 400,
  PCL_POLICY_PARSE: 400,
  PCL_POLICY_DUPLICATE_ID: 409,
  PCL_POLICY_SCHEMA: 400,
  PCL_POLICY_VALIDATION: 400,
  PCL_POLICY_LINK: 400,
  /** A policy test cases file (CLI `policy test`) is malformed. */
  PCL_POLICY_CASES: 400,
  /** A request given on the command line (`policy explain`) or in a case is malformed. */
  PCL_POLICY_REQUEST: 400,
  /** Files are not in the canonical Cedar format (`policy format --check`). */
  PCL_POLICY_UNFORMATTED: 400,
  /** A CLI command was given options that do not go together. */
  PCL_POLICY_USAGE: 400,
  /** At least one case of `policy test` did not get its expected decision. */
  PCL_POLICY_TEST_FAILED: 400,
  /** cedar-wasm itself failed; its instance may be unusable until the process restarts. */
  PCL_POLICY_ENGINE: 500,
} as const;

export type PolicyLoadCode = keyof typeof POLICY_LOAD_CODES;

/** One problem at one place. `line` and `column` are 1-based; columns count Unicode code points. */
export interface PolicyLoadIssue {
  readonly code: PolicyLoadCode;
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
 * parsed before giving up, so one run shows them all); `code` is the code of the first issue.
 *
 * @example
 * try {
 *   await loadPolicies('policies/');
 * } catch (err) {
 *   if (err instanceof PolicyLoadError) for (const issue of err.issues) console.error(formatIssue(issue));
 * }
 */
export class PolicyLoadError extends Error {
  readonly code: PolicyLoadCode;
  readonly issues: readonly PolicyLoadIssue[];

  constructor(issues: readonly PolicyLoadIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new TypeError('PolicyLoadError needs at least one issue');
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more ${issues.length === 2 ? 'problem' : 'problems'})` : '';
    const id = first.policyId === undefined ? '' : ` in policy ${JSON.stringify(first.policyId)}`;
    super(`${formatIssueLocation(first)}${id}: ${first.message}${more}`);
    this.name = 'PolicyLoadError';
    this.code = first.code;
    this.issues = issues;
  }

  get status(): number {
    return POLICY_LOAD_CODES[this.code];
  }
}

/** A single-issue error, for the many places that find exactly one problem. */
export function loadError(code: PolicyLoadCode, file: string, message: string, hint: string, at: Partial<Pick<PolicyLoadIssue, 'line' | 'column' | 'policyId'>> = {}): PolicyLoadError {
  return new PolicyLoadError([{ code, file, message, hint, ...at }]);
}
