// Cedar policy text → Cedar's JSON form (EST), through cedar-wasm, plus the three things cedar-wasm
// does not do for us:
//  - ids: `@id("...")` when present, else Cedar's default `policy<N>` by position in the file
//    (templates share the counter, as in Cedar);
//  - exact integers: cedar-wasm hands Long literals to JS as doubles, so 9007199254740993 arrives as
//    ...992. A small lexer collects the integer literals of each statement and every inexact number
//    in the EST is replaced by the literal it came from (bigint);
//  - safety: cedar-wasm's parser corrupts its own memory on deeply nested input (a wasm trap that
//    breaks every later call), so nesting and operator counts are checked here first.

import * as cedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import type { DetailedError, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import { createRequire } from 'node:module';
import { PolicyError, type PolicyErrorDetail } from './errors.js';
import { decodeText } from './json.js';

/** Deepest bracket nesting accepted in policy text (cedar-wasm traps somewhere above 100). */
export const MAX_POLICY_NESTING = 48;
/**
 * Most operators accepted in one policy. cedar-wasm overflows the JS stack at a few hundred nested
 * `if`s (fewer when called from deep in a stack) and traps past a few thousand `&&`s.
 */
export const MAX_POLICY_OPERATORS = 256;

/** One policy or template of a policy file, in Cedar's JSON form. */
export interface ParsedPolicy {
  readonly id: string;
  readonly kind: 'static' | 'template';
  /** The policy as Cedar JSON. Long literals beyond ±(2^53 - 1) are bigint (exact). */
  readonly est: PolicyJson;
  /** Slots a template uses (`?principal`, `?resource`); empty for a static policy. */
  readonly slots: readonly string[];
  /** The statement's own text and where it starts in the input (1-based line and column). */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

interface IntLiteral {
  readonly magnitude: bigint;
  /** The previous token was `-`: the literal may have been folded into a negative value. */
  readonly minus: boolean;
}

/** What the scanner learns about one statement (filled in as it goes). */
interface Statement {
  start: number;
  /** Offset of the first token (after blanks and comments), where the policy visibly starts. */
  tokenStart: number;
  end: number;
  /** Integer literals beyond 2^53 - 1, in source order. */
  bigInts: IntLiteral[];
  slots: Set<string>;
  maxNesting: number;
  operators: number;
}

const SAFE_MAX = 9007199254740991n;
const KEYWORD_OPERATORS = new Set(['in', 'has', 'like', 'is', 'if']);
const TWO_CHAR_OPERATORS = new Set(['&&', '||', '==', '!=', '<=', '>=']);
const ONE_CHAR_OPERATORS = new Set(['<', '>', '+', '-', '*', '!', '.']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * Split policy text into statements at `;` (the only place Cedar allows one), skipping strings and
 * `//` comments, and gather per statement what the checks below need. Text after the last `;` that
 * is not blank becomes a statement too, so Cedar reports it.
 */
function scanStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let cur = fresh(0);
  let depth = 0;
  let prevMinus = false;
  let sawToken = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (!sawToken) cur.tokenStart = i;
    sawToken = true;
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      prevMinus = false;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < n && isDigit(text[j] as string)) j++;
      // Past 20 significant digits no i64 literal is possible (Cedar rejects it), so skip the bigint.
      const digits = text.slice(i, j).replace(/^0+(?=\d)/, '');
      if (digits.length > 15 && digits.length <= 20) {
        const magnitude = BigInt(digits);
        if (magnitude > SAFE_MAX) cur.bigInts.push({ magnitude, minus: prevMinus });
      }
      i = j;
      prevMinus = false;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (j < n && (isIdentStart(text[j] as string) || isDigit(text[j] as string))) j++;
      if (KEYWORD_OPERATORS.has(text.slice(i, j))) cur.operators++;
      i = j;
      prevMinus = false;
      continue;
    }
    if (c === '?' && isIdentStart(text[i + 1] ?? '')) {
      let j = i + 1;
      while (j < n && (isIdentStart(text[j] as string) || isDigit(text[j] as string))) j++;
      cur.slots.add(text.slice(i, j));
      i = j;
      prevMinus = false;
      continue;
    }
    if (c === ';') {
      out.push({ ...cur, end: i + 1 });
      cur = fresh(i + 1);
      depth = 0;
      sawToken = false;
      i++;
      prevMinus = false;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') cur.maxNesting = Math.max(cur.maxNesting, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth--;
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPERATORS.has(two)) {
      cur.operators++;
      i += 2;
      prevMinus = false;
      continue;
    }
    if (ONE_CHAR_OPERATORS.has(c)) cur.operators++;
    prevMinus = c === '-';
    i++;
  }
  if (sawToken) out.push({ ...cur, end: n });
  return out;
}

function fresh(start: number): Statement {
  return { start, tokenStart: start, end: start, bigInts: [], slots: new Set(), maxNesting: 0, operators: 0 };
}

/**
 * Put back the exact value of every integer literal cedar-wasm rounded. An EST number that is not a
 * safe integer came from a literal whose magnitude rounds to it; the first unused such literal (in
 * source order) with a compatible sign is the one (a negative value needs a `-` before the literal).
 */
function restoreBigInts(est: unknown, literals: IntLiteral[], id: string): unknown {
  const used = new Array<boolean>(literals.length).fill(false);
  const fix = (v: unknown): unknown => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) return v;
      const neg = v < 0;
      const abs = Math.abs(v);
      for (let k = 0; k < literals.length; k++) {
        const lit = literals[k] as IntLiteral;
        if (used[k] || Number(lit.magnitude) !== abs) continue;
        if (neg ? !lit.minus || lit.magnitude > 2n ** 63n : lit.magnitude > 2n ** 63n - 1n) continue;
        used[k] = true;
        return neg ? -lit.magnitude : lit.magnitude;
      }
      throw new PolicyError('PCL_POLICY_PARSE', `${id}: could not recover the exact value of the integer literal near ${v}`);
    }
    if (Array.isArray(v)) return v.map(fix);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: fix((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return literals.length === 0 ? est : fix(est);
}

/** 1-based line and column of a UTF-16 offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** UTF-16 offset inside `s` of a UTF-8 byte offset (cedar-wasm reports byte offsets). */
function byteToIndex(s: string, byteOffset: number): number {
  let bytes = 0;
  let i = 0;
  while (i < s.length && bytes < byteOffset) {
    const cp = s.codePointAt(i) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return i;
}

function describe(errors: readonly DetailedError[], text: string, stmt: Statement, body: string): PolicyErrorDetail[] {
  return errors.map((e) => {
    const loc = e.sourceLocations?.[0];
    const at = lineColumn(text, stmt.start + (loc === undefined ? 0 : byteToIndex(body, loc.start)));
    const help = e.help === null || e.help === undefined ? '' : ` (${e.help})`;
    return { message: `${e.message.replace(/^failed to parse (policy|template) from string: /, '')}${help}`, ...at };
  });
}

type CedarWasm = typeof cedarWasm;
let cedar: CedarWasm = cedarWasm;
const loadModule = createRequire(import.meta.url);

/**
 * A fresh cedar-wasm instance. Once a call has thrown (a wasm trap, or a JS stack overflow unwinding
 * through wasm frames, which leaks its shadow stack), the old instance fails on every later input, so
 * the module is evaluated again, from scratch, from Node's module cache bypassed on purpose.
 */
function reloadCedar(): CedarWasm {
  const path = loadModule.resolve('@cedar-policy/cedar-wasm/nodejs');
  delete loadModule.cache[path];
  return loadModule(path) as CedarWasm;
}

/** Run one cedar-wasm parse, turning a failure of the engine itself into a clear error. */
function toJson(body: string, template: boolean): { ok: true; est: PolicyJson } | { ok: false; errors: DetailedError[] } {
  let answer;
  try {
    answer = template ? cedar.templateToJson(body) : cedar.policyToJson(body);
  } catch (err) {
    cedar = reloadCedar();
    throw new PolicyError('PCL_POLICY_TOO_COMPLEX', `the Cedar parser could not process the policy (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  return answer.type === 'success' ? { ok: true, est: answer.json } : { ok: false, errors: answer.errors };
}

/**
 * Parse a Cedar policy file (text or UTF-8 bytes) into its policies and templates, in file order.
 * Throws PolicyError: PCL_POLICY_ENCODING (not UTF-8), PCL_POLICY_TOO_COMPLEX (nesting or size
 * limits), PCL_POLICY_PARSE (every syntax error, with line and column) or PCL_POLICY_DUPLICATE_ID.
 *
 * @example
 * const [p] = parsePolicies('@id("admins") permit(principal in Role::"admin", action, resource);');
 * p.id === 'admins' && p.kind === 'static'
 */
export function parsePolicies(input: string | Uint8Array, options: { name?: string } = {}): ParsedPolicy[] {
  const name = options.name ?? 'policy text';
  const text = decodeText(input, name);
  const statements = scanStatements(text);
  for (const [i, s] of statements.entries()) {
    if (s.maxNesting > MAX_POLICY_NESTING || s.operators > MAX_POLICY_OPERATORS) {
      const at = lineColumn(text, s.tokenStart);
      const why = s.maxNesting > MAX_POLICY_NESTING ? `${s.maxNesting} nested brackets (limit ${MAX_POLICY_NESTING})` : `${s.operators} operators (limit ${MAX_POLICY_OPERATORS})`;
      throw new PolicyError('PCL_POLICY_TOO_COMPLEX', `${name}: policy ${i} at line ${at.line} has ${why}`, { details: [{ message: why, ...at }] });
    }
  }
  const out: ParsedPolicy[] = [];
  const problems: PolicyErrorDetail[] = [];
  const ids = new Map<string, number>();
  statements.forEach((stmt, index) => {
    const body = text.slice(stmt.start, stmt.end);
    const template = stmt.slots.size > 0;
    const answer = toJson(body, template);
    if (!answer.ok) {
      problems.push(...describe(answer.errors, text, stmt, body));
      return;
    }
    const annotated = answer.est.annotations?.id;
    const id = typeof annotated === 'string' && annotated !== '' ? annotated : `policy${index}`;
    const at = lineColumn(text, stmt.tokenStart);
    if (ids.has(id)) {
      problems.push({ message: `duplicate policy id "${id}" (also used by the policy at line ${ids.get(id)})`, policyId: id, ...at });
      return;
    }
    ids.set(id, at.line);
    const est = restoreBigInts(answer.est, stmt.bigInts, id) as PolicyJson;
    out.push({ id, kind: template ? 'template' : 'static', est, slots: [...stmt.slots].sort(), text: text.slice(stmt.tokenStart, stmt.end), ...at });
  });
  if (problems.length > 0) {
    const dup = problems.every((p) => p.message.startsWith('duplicate policy id'));
    const first = problems[0] as PolicyErrorDetail;
    throw new PolicyError(dup ? 'PCL_POLICY_DUPLICATE_ID' : 'PCL_POLICY_PARSE', `${name}:${first.line}:${first.column}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { details: problems });
  }
  return out;
}
