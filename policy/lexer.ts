// The one lexical pass over Cedar policy text, run before any of it reaches cedar-wasm, by both the
// engine's parsePolicies (parse.ts) and the loader (load/parse-file.ts, load/format.ts). It:
//
// 1. Splits text into statements (policies and templates) with their offsets. Cedar statements end
//    at a `;` outside strings and `//` comments; nothing else can hold one. Each statement is parsed on
//    its own, so the offsets cedar-wasm reports for it can be placed in the file.
// 2. Measures how deep each statement nests and how many operators it chains. cedar-wasm parses
//    recursively on a fixed wasm stack; overflowing it traps and leaves the instance unusable. Text
//    past the limits below is refused before cedar-wasm sees it.
// 3. Collects the integer literals beyond 2^53 - 1: cedar-wasm hands Long literals to JS as doubles
//    (9007199254740993 arrives as ...992), and `restoreBigInts` puts the exact values back.
//
// It never throws and decides nothing about errors: callers turn its findings into their own errors.
// (policy/errors.ts quotes the limits in its hint, so this file must not import it.)

import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';

/**
 * Most brackets `(`, `[`, `{` open at once in one policy. cedar-wasm 4.13 traps at about 120-150
 * (a fresh process, every call we make: parse, validate, format); 48 leaves room for deeper JS stacks.
 */
export const MAX_POLICY_NESTING = 48;
/**
 * Most operators in one policy: a chain like `a || b || ...` nests one parse-tree level per
 * operator. cedar-wasm 4.13 traps between 3,000 and 5,000 chained `&&` and at a few hundred nested
 * `if`s, hence the weight below.
 */
export const MAX_POLICY_OPERATORS = 256;
/** What one `if` counts towards MAX_POLICY_OPERATORS: it costs the parser about four levels of stack. */
export const IF_OPERATOR_WEIGHT = 4;

/** An integer literal too big for a double to hold exactly. */
export interface IntLiteral {
  readonly magnitude: bigint;
  /** The previous token was `-`: the literal may have been folded into a negative value. */
  readonly minus: boolean;
}

/** A `when { ... }` or `unless { ... }` clause, as UTF-16 offsets into the scanned text. */
export interface ClauseSpan {
  readonly kind: 'when' | 'unless';
  /** The keyword's offset. */
  readonly start: number;
  /** Just past the closing brace. */
  readonly end: number;
}

export interface Statement {
  /** UTF-16 index of the statement's first token (its first annotation, or the effect). */
  readonly start: number;
  /** UTF-16 index just past the terminating `;`, or the end of the text if it has none. */
  readonly end: number;
  readonly terminated: boolean;
  /** The value of a leading `@id("...")`, when the lexer could read it. Cedar's parse has the last word. */
  readonly annotatedId: string | undefined;
  /** A `?principal` / `?resource` token appears: the statement is a template. */
  readonly hasSlot: boolean;
  /** The slot tokens that appear (`?principal`, ...), sorted, each once. */
  readonly slots: readonly string[];
  readonly maxDepth: number;
  /** Where `maxDepth` was first reached, as a UTF-16 index. */
  readonly deepestAt: number;
  readonly operatorWeight: number;
  /** Where the operator weight first exceeded the limit (or the statement start if it did not). */
  readonly heavyAt: number;
  /** The condition clauses in source order (the evaluator numbers them the same way). */
  readonly clauses: readonly ClauseSpan[];
  /** Integer literals beyond 2^53 - 1, in source order. */
  readonly bigInts: readonly IntLiteral[];
}

const OPERATOR_CHARS = new Set(['&', '|', '=', '!', '<', '>', '+', '-', '*', '.']);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const WORD_OPERATORS = new Set(['in', 'has', 'like', 'is']);
const SAFE_MAX = 9007199254740991n;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0', "'": "'", '"': '"' };

/**
 * The value of a Cedar string literal's body (between the quotes), or undefined when an escape is
 * invalid. Cedar escapes: `\n \r \t \\ \0 \' \"` and `\u{1F600}`.
 *
 * @example
 * unescapeCedarString('a\\u{1F600}') === 'a😀'
 */
export function unescapeCedarString(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const unicode = /^u\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 1, i + 11));
    if (next !== 'u' || unicode === null) return undefined;
    const cp = parseInt(unicode[1] ?? '', 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += unicode[0].length;
  }
  return out;
}

class StatementBuilder {
  depth = 0;
  maxDepth = 0;
  deepestAt: number;
  weight = 0;
  heavyAt: number;
  annotatedId: string | undefined;
  /** The last token was a one-character `-` (blanks and comments in between do not count). */
  afterMinus = false;
  readonly slots = new Set<string>();
  readonly bigInts: IntLiteral[] = [];
  readonly clauses: ClauseSpan[] = [];
  /** A `when` / `unless` keyword just seen at depth 0, and the clause it opened. */
  private keyword: { kind: 'when' | 'unless'; start: number } | undefined;
  private openClause: { kind: 'when' | 'unless'; start: number } | undefined;
  /** Tokens seen so far: `@`, `id`, `(`, a string — the shape of an `@id("...")` annotation. */
  private recent: string[] = [];

  constructor(readonly start: number) {
    this.deepestAt = start;
    this.heavyAt = start;
  }

  open(at: number, bracket: string): void {
    if (this.depth === 0 && bracket === '{' && this.keyword !== undefined) this.openClause = this.keyword;
    this.depth++;
    if (this.depth > this.maxDepth) {
      this.maxDepth = this.depth;
      this.deepestAt = at;
    }
  }

  close(at: number): void {
    if (this.depth > 0) this.depth--;
    if (this.depth === 0 && this.openClause !== undefined) {
      this.clauses.push({ ...this.openClause, end: at + 1 });
      this.openClause = undefined;
    }
  }

  word(word: string, at: number): void {
    this.keyword = this.depth === 0 && (word === 'when' || word === 'unless') ? { kind: word, start: at } : undefined;
  }

  operator(at: number, weight: number): void {
    this.weight += weight;
    if (this.weight > MAX_POLICY_OPERATORS && this.heavyAt === this.start) this.heavyAt = at;
  }

  /** Past 20 digits no i64 literal is possible (Cedar rejects it), so no bigint is made for it. */
  number(digits: string): void {
    const significant = digits.replace(/^0+(?=\d)/, '');
    if (significant.length <= 15 || significant.length > 20) return;
    const magnitude = BigInt(significant);
    if (magnitude > SAFE_MAX) this.bigInts.push({ magnitude, minus: this.afterMinus });
  }

  /** Tracks the token stream just enough to read `@id("...")`; only the first one counts. */
  token(kind: string, value?: string): void {
    if (kind !== 'ident' && kind !== 'id') this.keyword = undefined;
    this.afterMinus = kind === '-';
    this.recent.push(kind);
    if (this.recent.length > 4) this.recent.shift();
    if (kind === 'string' && this.annotatedId === undefined && this.recent.join(' ') === '@ id ( string' && value !== undefined) {
      this.annotatedId = unescapeCedarString(value);
    }
  }

  finish(end: number, terminated: boolean): Statement {
    return {
      start: this.start,
      end,
      terminated,
      annotatedId: this.annotatedId,
      hasSlot: this.slots.size > 0,
      slots: [...this.slots].sort(),
      maxDepth: this.maxDepth,
      deepestAt: this.deepestAt,
      operatorWeight: this.weight,
      heavyAt: this.heavyAt,
      clauses: this.clauses,
      bigInts: this.bigInts,
    };
  }
}

/** Index just past a string literal that opens at `i` (or the end of the text if it never closes). */
function skipString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const ch = text[j];
    if (ch === '\\') j += 2;
    else if (ch === '"') return j + 1;
    else j++;
  }
  return text.length;
}

function skipWhile(text: string, i: number, re: RegExp): number {
  let j = i;
  while (j < text.length && re.test(text[j] ?? '')) j++;
  return j;
}

/**
 * Splits Cedar policy text into statements and measures each one. Never throws, whatever the input.
 * Text after the last `;` that is not blank becomes a statement too, so Cedar reports it.
 *
 * @example
 * const [s] = scanStatements('@id("a") permit(principal, action, resource);');
 * s.annotatedId === 'a' && s.terminated && exceededLimit(s) === undefined
 */
export function scanStatements(text: string): Statement[] {
  const statements: Statement[] = [];
  let current: StatementBuilder | undefined;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v' || ch === '\ufeff') {
      i++;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    current ??= new StatementBuilder(i);
    if (ch === ';') {
      statements.push(current.finish(i + 1, true));
      current = undefined;
      i++;
    } else if (ch === '"') {
      const end = skipString(text, i);
      current.token('string', text.slice(i + 1, end - 1));
      i = end;
    } else if (ch === '(' || ch === '[' || ch === '{') {
      current.open(i, ch);
      current.token(ch);
      i++;
    } else if (ch === ')' || ch === ']' || ch === '}') {
      current.token(ch);
      current.close(i);
      i++;
    } else if (ch === '?' && IDENT_START.test(text[i + 1] ?? '')) {
      const from = i;
      i = skipWhile(text, i + 1, IDENT_PART);
      current.slots.add(text.slice(from, i));
      current.token('slot');
    } else if (IDENT_START.test(ch)) {
      const from = i;
      i = skipWhile(text, i, IDENT_PART);
      const word = text.slice(from, i);
      if (word === 'if') current.operator(from, IF_OPERATOR_WEIGHT);
      else if (WORD_OPERATORS.has(word)) current.operator(from, 1);
      current.token(word === 'id' ? 'id' : 'ident');
      current.word(word, from);
    } else if (DIGIT.test(ch)) {
      const from = i;
      i = skipWhile(text, i, DIGIT);
      current.number(text.slice(from, i));
      current.token('number');
    } else if (OPERATOR_CHARS.has(ch)) {
      // `&&`, `==`, `<=` and the like are one operator; a run of `!` or `-` is one per character.
      const doubled = (ch === '&' || ch === '|' || ch === '=') && text[i + 1] === ch;
      const compared = (ch === '!' || ch === '<' || ch === '>') && text[i + 1] === '=';
      current.operator(i, 1);
      current.token(ch === '-' ? '-' : 'op');
      i += doubled || compared ? 2 : 1;
    } else {
      current.token(ch === '@' ? '@' : 'other');
      i++;
    }
  }
  if (current !== undefined) statements.push(current.finish(text.length, false));
  return statements;
}

/**
 * The first limit the statement breaks, with where (a UTF-16 index), or undefined when it is within
 * them. The one check that decides whether text may reach cedar-wasm's parser.
 *
 * @example
 * const over = exceededLimit(statement);
 * if (over !== undefined) report(over.at, over.message);
 */
export function exceededLimit(statement: Statement): { at: number; message: string } | undefined {
  if (statement.maxDepth > MAX_POLICY_NESTING) {
    return {
      at: statement.deepestAt,
      message: `brackets nest ${statement.maxDepth} levels deep here; the limit is ${MAX_POLICY_NESTING}`,
    };
  }
  if (statement.operatorWeight > MAX_POLICY_OPERATORS) {
    return {
      at: statement.heavyAt,
      message: `the policy has more than ${MAX_POLICY_OPERATORS} operators (counting each \`if\` as ${IF_OPERATOR_WEIGHT}); it passes the limit here`,
    };
  }
  return undefined;
}

/**
 * The EST with the exact value of every integer literal cedar-wasm rounded (as bigint), or undefined
 * when one cannot be matched to its literal. An EST number that is not a safe integer came from a
 * literal whose magnitude rounds to it; the first unused such literal (in source order) with a
 * compatible sign is the one (a negative value needs a `-` before the literal).
 *
 * @example
 * const est = restoreBigInts(answer.json, statement.bigInts);
 */
export function restoreBigInts(est: PolicyJson, literals: readonly IntLiteral[]): PolicyJson | undefined {
  if (literals.length === 0) return est;
  const used = new Array<boolean>(literals.length).fill(false);
  let lost = false;
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
      lost = true;
      return v;
    }
    if (Array.isArray(v)) return v.map(fix);
    if (typeof v === 'object' && v !== null) {
      // defineProperty, not assignment: an EST record may have a `__proto__` key.
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: fix((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  const fixed = fix(est) as PolicyJson;
  return lost ? undefined : fixed;
}
