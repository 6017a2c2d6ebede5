// The one pipeline every config read goes through (startup, `config validate`, hot reload):
// read -> parse YAML -> check version -> env overrides -> JSON Schema -> semantic checks -> read
// referenced files. Each stage's issues are placed in the file (line/column) or attributed to the env
// var that set the value. Later stages run only when earlier ones leave a usable document.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { ConfigIssue, ConfigPath, PendingIssue } from './errors.js';
import { ConfigError, formatConfigPath } from './errors.js';
import { applyEnvOverrides } from './env.js';
import type { AppliedOverride } from './env.js';
import type { EnvMap } from './resolve.js';
import { resolveConfig } from './resolve.js';
import { validateSchema } from './schema.js';
import { checkSemantics } from './semantic.js';
import { locate, parseConfigText, positionOf } from './source.js';
import type { ConfigSource } from './source.js';
import type { GatewayConfig } from './types.js';

export interface LoadOptions {
  /** Environment for PORTCULLIS_* overrides and {env: NAME} secrets. Default `process.env`. */
  env?: EnvMap;
}

/** Everything one load attempt learned, valid or not. */
export interface LoadAttempt {
  /** Set only when `issues` is empty. */
  config?: GatewayConfig;
  issues: ConfigIssue[];
  /** Absolute path of the config file. */
  sourcePath: string;
  /** Absolute paths of the files the config references (TLS material), for watching. */
  files: string[];
}

/** A config file larger than this is not a config file; refuse before parsing it. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The only supported `version`. */
export const CONFIG_VERSION = 1;

/**
 * Loads, validates and resolves a portcullis.yaml.
 *
 * @throws ConfigError listing every issue found.
 * @example
 * const config = await loadConfig('portcullis.yaml', { env: process.env });
 */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<GatewayConfig> {
  const attempt = await attemptLoad(path, opts);
  if (!attempt.config) throw new ConfigError(path, attempt.issues);
  return attempt.config;
}

/**
 * Like `loadConfig` but returns the issues instead of throwing; what `portcullis config validate` runs.
 *
 * @example
 * const result = await validateConfigFile('portcullis.yaml');
 * if (!result.ok) console.error(formatIssues(result.issues, 'portcullis.yaml'));
 */
export async function validateConfigFile(
  path: string,
  opts: LoadOptions = {},
): Promise<{ ok: true; config: GatewayConfig } | { ok: false; issues: ConfigIssue[] }> {
  const attempt = await attemptLoad(path, opts);
  return attempt.config ? { ok: true, config: attempt.config } : { ok: false, issues: attempt.issues };
}

/** The full pipeline. Never throws for problems in the file; they are issues. */
export async function attemptLoad(path: string, opts: LoadOptions = {}): Promise<LoadAttempt> {
  const env = opts.env ?? process.env;
  const sourcePath = resolvePath(path);
  const text = await readConfigText(sourcePath);
  if (typeof text !== 'string') return { issues: [text], sourcePath, files: [] };

  const parsed = parseConfigText(text);
  const { source } = parsed;
  const place = (pending: PendingIssue[], overrides: AppliedOverride[] = []) => pending.map((p) => placeIssue(p, source, overrides));
  if (parsed.issues.length > 0) return { issues: place(parsed.issues), sourcePath, files: [] };
  const data = parsed.data as Record<string, unknown>;

  const versionIssue = checkVersion(data);
  if (versionIssue) return { issues: place([versionIssue]), sourcePath, files: [] };

  const { applied, issues: envIssues } = applyEnvOverrides(data, env);
  const schema = validateSchema(data);
  if (!schema.ok) return { issues: place([...envIssues, ...schema.issues], applied), sourcePath, files: [] };

  const semantic = checkSemantics(schema.value);
  const resolved = await resolveConfig(schema.value, { sourcePath, baseDir: dirname(sourcePath), env });
  const issues = place([...envIssues, ...semantic, ...resolved.issues], applied);
  if (issues.length > 0 || !resolved.config) return { issues, sourcePath, files: resolved.files };
  return { config: resolved.config, issues: [], sourcePath, files: resolved.files };
}

async function readConfigText(abs: string): Promise<string | ConfigIssue> {
  const unreadable = (message: string, hint: string): ConfigIssue => ({ code: 'PCL_CONFIG_UNREADABLE', path: '', message, hint });
  try {
    const info = await stat(abs);
    if (!info.isFile()) return unreadable(`${abs} is not a regular file`, 'pass the path of the portcullis.yaml file');
    if (info.size > MAX_CONFIG_BYTES) return unreadable(`${abs} is larger than 4 MiB`, 'check that this is the config file');
    return await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return unreadable(`config file ${abs} does not exist`, 'check the path, or copy portcullis.example.yaml to start one');
    if (code === 'EACCES') return unreadable(`config file ${abs} cannot be read (permission denied)`, 'give the gateway user read access to the file');
    return unreadable(`config file ${abs} cannot be read (${code ?? 'error'})`, 'check the path and permissions');
  }
}

/** Version first: a file written for another format would otherwise produce a wall of misleading issues. */
function checkVersion(data: Record<string, unknown>): PendingIssue | undefined {
  if (!('version' in data)) {
    return { code: 'PCL_CONFIG_VERSION', at: [], message: 'missing `version`', hint: `add \`version: ${CONFIG_VERSION}\` as the first line` };
  }
  if (data.version === CONFIG_VERSION) return undefined;
  const shown = typeof data.version === 'number' || typeof data.version === 'string' ? JSON.stringify(data.version).slice(0, 20) : typeof data.version;
  return {
    code: 'PCL_CONFIG_VERSION',
    at: ['version'],
    message: `unsupported config version ${shown}; this portcullis reads version ${CONFIG_VERSION}`,
    hint: `set \`version: ${CONFIG_VERSION}\` after converting the file (docs/config.md), or run the portcullis release that wrote it`,
  };
}

/** Adds the display path and either the file position or the env var that set the value. */
function placeIssue(p: PendingIssue, source: ConfigSource, overrides: AppliedOverride[]): ConfigIssue {
  const issue: ConfigIssue = { code: p.code, path: formatConfigPath(p.at), message: p.message, hint: p.hint };
  const envVar = p.envVar ?? overrideFor(p.at, overrides);
  if (envVar) {
    issue.envVar = envVar;
    return issue;
  }
  const pos = p.offset !== undefined ? positionOf(source, p.offset) : locate(source, p.at, p.onKey);
  if (pos) {
    issue.line = pos.line;
    issue.column = pos.column;
  }
  return issue;
}

/** The override that set the value at `at` (or an ancestor of it); the last applied one wins. */
function overrideFor(at: ConfigPath, overrides: AppliedOverride[]): string | undefined {
  let found: string | undefined;
  for (const o of overrides) {
    if (o.path.length <= at.length && o.path.every((seg, i) => seg === at[i])) found = o.envVar;
  }
  return found;
}
