// Human-readable issue lists, shared by `portcullis config validate`, startup failures and rejected
// hot reloads so an operator sees the same text wherever a config is refused.
import type { ConfigIssue } from './errors.js';

/**
 * One line per issue, `FILE:LINE:COL  path  message`, then an indented hint. Values set by an env
 * var show `FILE (env NAME)` instead of a position.
 *
 * @example
 * portcullis.yaml:12:11  routes[0].pool  pool "dmeo" is not defined in pools
 *     hint: did you mean "demo"?
 */
export function formatIssues(issues: readonly ConfigIssue[], path: string): string {
  return issues
    .map((issue) => {
      const where = issue.envVar
        ? `${path} (env ${issue.envVar})`
        : issue.line !== undefined
          ? `${path}:${issue.line}:${issue.column ?? 1}`
          : path;
      const subject = issue.path === '' ? '' : `  ${issue.path}`;
      return `${where}${subject}  ${issue.message}\n    hint: ${issue.hint}`;
    })
    .join('\n');
}
