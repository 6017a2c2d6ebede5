// A lexical pass over Cedar text, run before any of it reaches cedar-wasm. It does two jobs:
//
// 1. Splits a file into statements (policies and templates) with their offsets, so that errors
//    cedar-wasm reports for one statement can be placed in the file, and each statement is parsed on
//    its own. Cedar statements end at a `;` outside strings and `//` comments; nothing else can hold one.
// 2. Measures how deep the statement nests. cedar-wasm parses recursively on a fixed wasm stack, and a
//    stack overflow there is not a catchable error: it corrupts the instance, and every later call in
//    the process fails ("memory access out of bounds"). About 120 nested brackets or 3,000 chained
//    operators are enough, so text that goes past the limits below is refused here instead.

import { MAX_POLICY_NESTING, MAX_POLICY_OPERATORS } from '../parse.js';
import { unescapeCedarString } from './uid.js';

/**
 * The limits: policy/parse.ts's, so text accepted here is accepted there. Measured in fresh processes,
 * cedar-wasm 4.13 survives well beyond them in every call we make (parse, validate, format); our
 * counting is never lower than parse.ts's (an `if` counts as 4 here, as it costs that much stack).
 */
export const STATEMENT_LIMITS = {
  /** Brackets `(`, `[`, `{` open at once. */
  maxDepth: MAX_POLICY_NESTING,
  /** Operators in one statement: a chain like `a || b || ...` nests one parse-tree level per operator. */
  maxOperatorWeight: MAX_POLICY_OPERATORS,
} as const;

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
  /** The value of a leading `@id("...")`, when the scanner could read it. Cedar's parse has the last word. */
  readonly annotatedId: string | undefined;
  /** A `?principal` / `?resource` token appears: the statement is a template. */
  readonly hasSlot: boolean;
  readonly maxDepth: number;
  /** Where `maxDepth` was first reached, as a UTF-16 index. */
  readonly deepestAt: number;
  readonly operatorWeight: number;
  /** Where the operator weight first exceeded the limit (or the statement start if it did not). */
  readonly heavyAt: number;
  /** The condition clauses in source order (the evaluator numbers them the same way). */
  readonly clauses: readonly ClauseSpan[];
}

const OPERATOR_CHARS = new Set(['&', '|', '=', '!', '<', '>', '+', '-', '*', '.']);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const WORD_OPERATORS = new Set(['in', 'has', 'like', 'is']);

class StatementBuilder {
  depth = 0;
  maxDepth = 0;
  deepestAt: number;
  weight = 0;
  heavyAt: number;
  hasSlot = false;
  annotatedId: string | undefined;
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
    if (this.weight > STATEMENT_LIMITS.maxOperatorWeight && this.heavyAt === this.start) this.heavyAt = at;
  }

  /** Tracks the token stream just enough to read `@id("...")`; only the first one counts. */
  token(kind: string, value?: string): void {
    if (kind !== 'ident' && kind !== 'id') this.keyword = undefined;
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
      hasSlot: this.hasSlot,
      maxDepth: this.maxDepth,
      deepestAt: this.deepestAt,
      operatorWeight: this.weight,
      heavyAt: this.heavyAt,
      clauses: this.clauses,
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

/** Splits Cedar policy text into statements and measures each one. Never throws, whatever the input. */
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
      current.hasSlot = true;
      i++;
      while (i < text.length && IDENT_PART.test(text[i] ?? '')) i++;
      current.token('slot');
    } else if (IDENT_START.test(ch)) {
      const from = i;
      while (i < text.length && IDENT_PART.test(text[i] ?? '')) i++;
      const word = text.slice(from, i);
      if (word === 'if') current.operator(from, 4);
      else if (WORD_OPERATORS.has(word)) current.operator(from, 1);
      current.token(word === 'id' ? 'id' : 'ident');
      current.word(word, from);
    } else if (OPERATOR_CHARS.has(ch)) {
      // `&&`, `==`, `<=` and the like are one operator; a run of `!` or `-` is one per character.
      const doubled = (ch === '&' || ch === '|' || ch === '=') && text[i + 1] === ch;
      const compared = (ch === '!' || ch === '<' || ch === '>') && text[i + 1] === '=';
      current.operator(i, 1);
      current.token('op');
      i += doubled || compared ? 2 : 1;
    } else {
      current.token(ch === '@' ? '@' : 'other');
      i++;
    }
  }
  if (current !== undefined) statements.push(current.finish(text.length, false));
  return statements;
}

/** The first limit the statement breaks, with where, or undefined when it is within them. */
export function exceededLimit(statement: Statement): { at: number; message: string } | undefined {
  if (statement.maxDepth > STATEMENT_LIMITS.maxDepth) {
    return {
      at: statement.deepestAt,
      message: `brackets nest ${statement.maxDepth} levels deep here; the limit is ${STATEMENT_LIMITS.maxDepth}`,
    };
  }
  if (statement.operatorWeight > STATEMENT_LIMITS.maxOperatorWeight) {
    return {
      at: statement.heavyAt,
      message: `the policy has more than ${STATEMENT_LIMITS.maxOperatorWeight} operators (counting each \`if\` as 4); it passes the limit here`,
    };
  }
  return undefined;
}
