// Public surface of the config module: load and validate portcullis.yaml, format issues, watch for
// changes. Everything else in this folder is an implementation detail.
export { loadConfig, validateConfigFile, CONFIG_VERSION } from './load.js';
export type { LoadOptions } from './load.js';
export { formatIssues } from './format.js';
export { ConfigError, CONFIG_ISSUE_CODES } from './errors.js';
export type { ConfigErrorCode, ConfigIssue, ConfigIssueCode } from './errors.js';
export { ConfigWatcher } from './watch.js';
export type { ConfigWatcherOptions, ReloadOutcome } from './watch.js';
export { CONFIG_SCHEMA } from './schema.js';
export { ENV_PREFIX } from './env.js';
export type { EnvMap } from './resolve.js';
export type * from './types.js';
