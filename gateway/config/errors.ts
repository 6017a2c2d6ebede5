// Every problem `loadConfig` can find in a portcullis.yaml is a ConfigIssue with a stable code, the
// config path and file position it is about, and a hint saying what to change. Issues are collected,
// not thrown one at a time, so an operator fixes a file in one pass. Messages never contain secret
// values: checks describe what is wrong with a value, they do not echo it.

/** Stable codes for single issues. */
export const CONFIG_ISSUE_CODES = {
  PCL_CONFIG_SYNTAX: 'The file is not well-formed YAML (including duplicate keys and alias abuse).',
  PCL_CONFIG_VERSION: 'The `version` field is missing or names a format this build cannot read.',
  PCL_CONFIG_SCHEMA: 'A key is unknown, missing, or has the wrong type or range (JSON Schema).',
  PCL_CONFIG_INVALID: 'Values are individually fine but inconsistent or malformed (semantic check).',
  PCL_CONFIG_SECRET: 'A secret is inline, its environment variable is unset, or it is not a PEM key.',
  PCL_CONFIG_UNREADABLE: 'The config file or a file it references cannot be read.',
  PCL_CONFIG_ENV: 'A PORTCULLIS_* override variable does not name a config key.',
} as const;

export type ConfigIssueCode = keyof typeof CONFIG_ISSUE_CODES;

/** Codes of a thrown ConfigError: the one an operator's runbook branches on. */
export type ConfigErrorCode = 'PCL_CONFIG_INVALID' | 'PCL_CONFIG_UNREADABLE' | 'PCL_CONFIG_VERSION';

export interface ConfigIssue {
  code: ConfigIssueCode;
  /** Config path such as `routes[2].match.path`; empty for the whole document. */
  path: string;
  /** 1-based line of the YAML node the issue is about; absent when the value came from an env var. */
  line?: number;
  /** 1-based column of that node. */
  column?: number;
  /** The PORTCULLIS_* variable that set the offending value, when it was not the file. */
  envVar?: string;
  message: string;
  hint: string;
}

/**
 * Thrown by `loadConfig` when a file cannot be used. `issues` lists every problem found.
 *
 * @example
 * try { await loadConfig('portcullis.yaml') }
 * catch (err) { if (err instanceof ConfigError) console.error(formatIssues(err.issues, err.file)) }
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];
  /** The config file, as given by the caller. */
  readonly file: string;

  constructor(file: string, issues: readonly ConfigIssue[]) {
    const code = configErrorCode(issues);
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${file}: invalid configuration: ${first ? `${first.path || '<document>'}: ${first.message}` : 'unknown problem'}${more}`);
    this.name = 'ConfigError';
    this.code = code;
    this.issues = issues;
    this.file = file;
  }
}

/**
 * A version problem makes every other finding moot; a set of purely unreadable files is usually a
 * deployment ordering problem (secret not mounted yet) rather than a wrong file, so it gets its own code.
 */
export function configErrorCode(issues: readonly ConfigIssue[]): ConfigErrorCode {
  if (issues.some((i) => i.code === 'PCL_CONFIG_VERSION')) return 'PCL_CONFIG_VERSION';
  if (issues.length > 0 && issues.every((i) => i.code === 'PCL_CONFIG_UNREADABLE')) return 'PCL_CONFIG_UNREADABLE';
  return 'PCL_CONFIG_INVALID';
}

/** A config location: object keys and array indexes from the document root. */
export type ConfigPath = readonly (string | number)[];

/** An issue before it is placed in the file; checks produce these and `locate` adds line and column. */
export interface PendingIssue {
  code: ConfigIssueCode;
  at: ConfigPath;
  /** Point at the key rather than the value (unknown keys, duplicate keys). */
  onKey?: boolean;
  /** Already known to come from this override variable. */
  envVar?: string;
  /** Exact source offset, when known better than the node at `at` (YAML syntax errors). */
  offset?: number;
  message: string;
  hint: string;
}

/** `routes[2].match.path`; keys that are not identifiers are quoted (`pools["a.b"]`). */
export function formatConfigPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
