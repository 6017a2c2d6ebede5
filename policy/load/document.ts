// JSON or YAML data files (template links, policy test cases, JSON schemas) parsed with positions, so
// that a problem in entry 12 of a links file is reported at its line, not just "somewhere in links.json".
// JSON is parsed by the YAML parser too: YAML 1.2 reads JSON, and only that parser keeps node ranges.

import { LineCounter, parseDocument, type Document } from 'yaml';
import type { PolicyErrorCode, PolicyLoadIssue } from '../errors.js';
import { decodeSource, DEFAULT_MAX_FILE_BYTES } from './decode.js';

export type DocPath = readonly (string | number)[];

export interface DataDocument {
  readonly file: string;
  /** The data; integers come back as bigint when `bigInts` was asked for, so none lose precision. */
  readonly value: unknown;
  /** Line and column of the node at `path` (or of its nearest existing ancestor). */
  at(path: DocPath): { line: number; column: number };
  /** An issue at `path`. */
  issue(code: PolicyErrorCode, path: DocPath, message: string, hint: string, policyId?: string): PolicyLoadIssue;
}

type Parsed = { ok: true; doc: DataDocument } | { ok: false; issues: PolicyLoadIssue[] };

// Aliases let a small file expand into a huge one ("billion laughs"); a handful is plenty for test data.
const MAX_ALIASES = 50;

function nodeStart(doc: Document, path: DocPath): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (typeof node === 'object' && node !== null && 'range' in node && Array.isArray(node.range)) {
      const start: unknown = node.range[0];
      if (typeof start === 'number') return start;
    }
  }
  return undefined;
}

/**
 * Decodes (strict UTF-8, size-limited) and parses a JSON or YAML document. Duplicate keys, syntax
 * errors and custom tags are issues with the line and column of the problem.
 *
 * @example
 * const parsed = parseDataDocument('links.json', bytes, 'PCL_POLICY_LINK');
 * if (parsed.ok) console.log(parsed.doc.at([3, 'newId']).line);
 */
export function parseDataDocument(
  file: string,
  content: Uint8Array | string,
  code: PolicyErrorCode,
  options: { maxBytes?: number; bigInts?: boolean } = {},
): Parsed {
  const decoded = decodeSource(file, content, options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
  if (!decoded.ok) return { ok: false, issues: [decoded.issue] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(decoded.text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, intAsBigInt: options.bigInts ?? false });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.map((e) => ({
        code,
        file,
        ...position(e.pos[0]),
        message: `not valid JSON or YAML: ${e.message.split('\n')[0] ?? ''}`,
        hint: 'Fix the syntax at this point; keys must be unique.',
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, issues: [{ code, file, message: `cannot read the document: ${message}`, hint: 'Use fewer YAML aliases, or write the data out.' }] };
  }
  const at = (path: DocPath): { line: number; column: number } => position(nodeStart(doc, path) ?? 0);
  return {
    ok: true,
    doc: {
      file,
      value,
      at,
      issue: (issueCode, path, message, hint, policyId) => ({ code: issueCode, file, ...at(path), ...(policyId === undefined ? {} : { policyId }), message, hint }),
    },
  };
}

/** A plain object (not an array or null), for narrowing parsed data. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
