// `portcullis policy validate|test|explain|format`: offline work on a policy directory, with the same
// loader and the same evaluator the gateway uses, so "ok" and "allow" here mean the same there.
// cedar-wasm is used only inside the loader (parsing, validation, formatting), never for decisions.
import { randomBytes } from 'node:crypto';
import { realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { guarded as guardedAction, out } from '../report.js';
import {
  checkCase,
  compilePolicy,
  DEFAULT_MAX_FILE_BYTES,
  EMPTY_ENTITY_STORE,
  EntityUID,
  formatIssue,
  formatIssueLocation,
  formatPolicyFile,
  listPolicyFiles,
  loadError,
  loadPolicies,
  makeRequest,
  MemoryEntityStore,
  parseEntityRef,
  parseJson,
  parseTestCases,
  PolicyError,
  PolicyLoadError,
  PolicySet,
  readInputFile,
  recordFromJson,
  type CompiledPolicy,
  type EntityRef,
  type EntityStore,
  type LoadedPolicy,
  type LoadedPolicySet,
  type PolicyLoadIssue,
  type Request,
} from '../../policy/index.js';

/** An evaluator-side error (entities, context, compiling) placed at the file or option it came from. */
class PlacedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function place<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PolicyError) throw new PlacedError(err.code, `${where}: ${err.message}`);
    throw err;
  }
}

// Every located issue of a load error is printed under the error line.
function loadIssues(err: unknown): readonly string[] {
  return err instanceof PolicyLoadError ? err.issues.map(formatIssue) : [];
}

function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return guardedAction(fn, loadIssues);
}

function warn(issues: readonly PolicyLoadIssue[]): void {
  for (const issue of issues) process.stderr.write(`warning: ${formatIssue(issue)}\n`);
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

interface LoadOpts {
  schema?: string;
  links?: string;
}

function loadOptions(opts: LoadOpts): LoadOpts {
  return { ...(opts.schema === undefined ? {} : { schema: opts.schema }), ...(opts.links === undefined ? {} : { links: opts.links }) };
}

/** Compiles and indexes the set, the way the gateway does; a compile error names the policy's place. */
function buildEngine(set: LoadedPolicySet): PolicySet {
  const compiled: CompiledPolicy[] = set.policies.map((p) =>
    place(`${formatIssueLocation(p.source)} policy ${JSON.stringify(p.id)}`, () => compilePolicy(p.id, p.est, p.link === undefined ? {} : { templateId: p.link.templateId })),
  );
  return PolicySet.build(compiled, { version: set.version });
}

/** The entities file plus the schema's action entities (those the file does not define itself). */
async function loadEntities(file: string | undefined, set: LoadedPolicySet): Promise<EntityStore> {
  const actions = set.actions.map((a) => ({ uid: uid(a.uid), parents: a.parents.map(uid) }));
  if (file === undefined) return actions.length === 0 ? EMPTY_ENTITY_STORE : MemoryEntityStore.fromEntities(actions);
  const input = await readInputFile(file, 64 * DEFAULT_MAX_FILE_BYTES, file);
  const store = place(file, () => MemoryEntityStore.fromJson(input.content as Uint8Array));
  return store.extend(actions.filter((a) => store.get(a.uid) === undefined));
}

function uid(ref: EntityRef): EntityUID {
  return new EntityUID(ref.type, ref.id);
}

/** A uid option: `Type::"id"`, or for --action the bare HTTP method (`GET` is `Action::"GET"`). */
function uidOption(option: string, text: string, bareAction = false): EntityRef {
  if (bareAction && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(text)) return { type: 'Action', id: text };
  const parsed = parseEntityRef(text);
  if (!parsed.ok) throw loadError('PCL_POLICY_REQUEST', option, parsed.message, `Write it as Type::"id", e.g. ${option} 'User::"alice"' (single quotes keep the double quotes).`);
  return parsed.ref;
}

function request(principal: EntityRef, action: EntityRef, resource: EntityRef, context: unknown, where: string): Request {
  return place(where, () => makeRequest(uid(principal), uid(action), uid(resource), recordFromJson(context, 'context')));
}

function registerValidate(policy: Command): void {
  policy
    .command('validate')
    .description('Parse every policy, template and link (and validate them against a schema, in strict mode)')
    .argument('<path>', 'a .cedar file, or a directory of them (read recursively)')
    .option('--schema <file>', 'Cedar schema (.cedarschema text or JSON)')
    .option('--links <file>', 'template links (JSON or YAML)')
    .action(
      guarded(async (path: string, opts: LoadOpts) => {
        const set = await loadPolicies(path, loadOptions(opts));
        warn(set.warnings);
        out(`ok: ${plural(set.policies.length - set.linkCount, 'policy', 'policies')}, ${plural(set.templates.length, 'template')}, ${plural(set.linkCount, 'link')}`);
      }),
    );
}

function registerTest(policy: Command): void {
  policy
    .command('test')
    .description('Run requests from a cases file (YAML or JSON) and check each gets its expected decision')
    .argument('<cases>', 'cases file (see docs/policy.md)')
    .option('--policies <path>', 'policy file or directory (default: "policies" in the cases file)')
    .option('--entities <file>', 'Cedar entity JSON (default: "entities" in the cases file)')
    .option('--schema <file>', 'validate the policies against this schema first')
    .option('--links <file>', 'template links')
    .action(
      guarded(async (casesFile: string, opts: LoadOpts & { policies?: string; entities?: string }) => {
        const suite = parseTestCases(await readInputFile(casesFile, DEFAULT_MAX_FILE_BYTES, casesFile));
        const policiesPath = opts.policies ?? suite.policies;
        if (policiesPath === undefined) throw loadError('PCL_POLICY_CASES', casesFile, 'no policies to test', 'Pass --policies DIR, or set "policies: <dir>" in the cases file.');
        const set = await loadPolicies(policiesPath, loadOptions({ schema: opts.schema ?? suite.schema, links: opts.links ?? suite.links }));
        warn(set.warnings);
        const engine = buildEngine(set);
        const store = await loadEntities(opts.entities ?? suite.entities, set);
        // Every request is built before any runs: a malformed case is a broken suite, not a failed case.
        const requests = suite.cases.map((c) => request(c.principal, c.action, c.resource, c.context, `${casesFile}:${c.line} case ${JSON.stringify(c.name)}`));
        let failed = 0;
        suite.cases.forEach((c, i) => {
          const result = engine.isAuthorized(requests[i] as Request, store);
          const failures = checkCase(c, { decision: result.decision, reasons: result.reasons, errors: result.errors.map((e) => e.policyId) });
          if (failures.length === 0) {
            out(`PASS  ${c.name}`);
            return;
          }
          failed++;
          out(`FAIL  ${c.name}  (${casesFile}:${c.line})`);
          for (const f of failures) out(`      ${f}`);
          for (const e of result.errors) out(`      policy ${e.policyId} errored: ${e.code}: ${e.message}`);
        });
        out(`${suite.cases.length - failed} passed, ${failed} failed (${plural(suite.cases.length, 'case')}, ${set.policies.length} policies, version ${set.version})`);
        if (failed > 0) {
          process.stderr.write(`error PCL_POLICY_TEST_FAILED: ${failed} of ${plural(suite.cases.length, 'case')} failed\n`);
          process.exitCode = 1;
        }
      }),
    );
}

function describePolicy(p: LoadedPolicy | undefined, id: string): string {
  return p === undefined ? id : `${id}  ${p.effect}  ${formatIssueLocation(p.source)}`;
}

function registerExplain(policy: Command): void {
  policy
    .command('explain')
    .description('Decide one request and say why: determining policies, errors, and the clause that failed in each policy that could have applied')
    .requiredOption('--policies <path>', 'policy file or directory')
    .requiredOption('--principal <uid>', 'e.g. \'User::"alice"\'')
    .requiredOption('--action <uid>', 'e.g. \'Action::"GET"\' (or just GET)')
    .requiredOption('--resource <uid>', 'e.g. \'Route::"/admin/users"\'')
    .option('--context <json>', 'the context record as JSON, e.g. \'{"mfa": true}\'', '{}')
    .option('--entities <file>', 'Cedar entity JSON')
    .option('--schema <file>', 'validate the policies against this schema first')
    .option('--links <file>', 'template links')
    .action(
      guarded(async (opts: LoadOpts & { policies: string; principal: string; action: string; resource: string; context: string; entities?: string }) => {
        const refs = [uidOption('--principal', opts.principal), uidOption('--action', opts.action, true), uidOption('--resource', opts.resource)] as const;
        const context = place('--context', () => parseJson(opts.context, '--context'));
        const req = request(...refs, context, '--context');
        const set = await loadPolicies(opts.policies, loadOptions(opts));
        warn(set.warnings);
        const store = await loadEntities(opts.entities, set);
        const result = buildEngine(set).explain(req, store);
        const byId = new Map(set.policies.map((p) => [p.id, p]));
        out(`decision: ${result.decision}`);
        if (result.reasons.length === 0) out(`determining policies: none (${result.decision === 'deny' ? 'no permit applied: denied by default' : ''})`);
        else out('determining policies:');
        for (const id of result.reasons) out(`  ${describePolicy(byId.get(id), id)}`);
        out(result.errors.length === 0 ? 'erroring policies: none' : 'erroring policies:');
        for (const e of result.errors) out(`  ${describePolicy(byId.get(e.policyId), e.policyId)}\n    ${e.code}: ${e.message}`);
        const failedClause = result.policies.filter((v) => v.outcome === 'when' || v.outcome === 'unless');
        out(failedClause.length === 0 ? 'policies whose scope matched but a condition failed: none' : 'policies whose scope matched but a condition failed:');
        for (const v of failedClause) {
          const p = byId.get(v.policyId);
          const clause = 'condition' in v ? p?.clauses[v.condition] : undefined;
          out(`  ${describePolicy(p, v.policyId)}`);
          if (clause !== undefined) out(`    ${clause.kind === 'when' ? 'false' : 'true'}: ${clause.text.replace(/\s+/g, ' ')}  (${formatIssueLocation(clause)})`);
        }
        // Policies the index did not evaluate are those whose scope cannot match the request.
        const scopeMisses = result.total - result.evaluated + result.policies.filter((v) => v.outcome === 'principal' || v.outcome === 'action' || v.outcome === 'resource').length;
        out(`${plural(scopeMisses, 'other policy', 'other policies')} did not match the principal, action or resource`);
      }),
    );
}

async function writeFileReplacing(path: string, data: string): Promise<void> {
  // Write through symlinks (a policy file may be linked from elsewhere) and never leave half a file.
  const target = await realpath(path);
  const mode = (await stat(target)).mode & 0o777;
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

function registerFormat(policy: Command): void {
  policy
    .command('format')
    .description('Format policy files the canonical Cedar way (prints the result for a single file unless --check or --write)')
    .argument('<path>', 'a .cedar file or a directory of them')
    .option('--check', 'only report files that are not formatted (exit 1 if any)', false)
    .option('--write', 'rewrite files in place', false)
    .action(
      guarded(async (path: string, opts: { check: boolean; write: boolean }) => {
        if (opts.check && opts.write) throw loadError('PCL_POLICY_USAGE', path, '--check and --write exclude each other', 'Use --check in CI and --write to fix the files.');
        const isDir = (await stat(path).catch(() => undefined))?.isDirectory() === true;
        if (isDir && !opts.check && !opts.write) throw loadError('PCL_POLICY_USAGE', path, 'a directory needs --check or --write', 'Give one file to print it formatted.');
        const files = isDir ? (await listPolicyFiles(path)).map((name) => join(path, name)) : [path];
        const issues: PolicyLoadIssue[] = [];
        const changed: { file: string; formatted: string }[] = [];
        for (const file of files) {
          try {
            const input = await readInputFile(file, DEFAULT_MAX_FILE_BYTES, file);
            const formatted = formatPolicyFile(input);
            if (!opts.check && !opts.write) process.stdout.write(formatted);
            else if (formatted !== new TextDecoder().decode(input.content as Uint8Array)) changed.push({ file, formatted });
          } catch (err) {
            if (!(err instanceof PolicyLoadError)) throw err;
            issues.push(...err.issues);
          }
        }
        if (issues.length > 0) throw new PolicyLoadError(issues);
        if (!opts.check && !opts.write) return;
        if (opts.check) {
          for (const c of changed) out(`not formatted: ${c.file}`);
          if (changed.length > 0) throw loadError('PCL_POLICY_UNFORMATTED', path, `${changed.length} of ${plural(files.length, 'file')} not formatted`, `Run \`portcullis policy format --write ${path}\`.`);
          out(`ok: ${plural(files.length, 'file')} formatted`);
          return;
        }
        for (const c of changed) {
          await writeFileReplacing(c.file, c.formatted);
          out(`formatted ${c.file}`);
        }
        out(`${changed.length} of ${plural(files.length, 'file')} changed`);
      }),
    );
}

/**
 * Adds `policy validate|test|explain|format` to the `portcullis` program. Errors are printed as
 * `error <CODE>: <message>` (plus one `FILE:LINE:COL  policyId  message` block per problem) with exit
 * code 1.
 *
 * @example
 * const program = new Command('portcullis');
 * registerPolicyCommands(program);
 * await program.parseAsync(process.argv);
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Validate, test, explain and format Cedar policies');
  registerValidate(policy);
  registerTest(policy);
  registerExplain(policy);
  registerFormat(policy);
}
