// YAML text -> plain data, keeping the parsed document so any later issue (schema, semantic, file
// read) can be pointed at the line where its node starts. The parser is configured to refuse what a
// config file never needs: duplicate keys, several documents, custom tags and alias expansion bombs.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, ParsedNode } from 'yaml';
import type { ConfigPath, PendingIssue } from './errors.js';

/**
 * Aliases are legitimately handy for sharing a pool block; a few dozen expansions is plenty, and a
 * low limit turns a "billion laughs" file into an error instead of gigabytes of memory.
 */
const MAX_ALIAS_COUNT = 50;

export interface ConfigSource {
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export interface Position {
  line: number;
  column: number;
}

/**
 * The parser's own messages sometimes quote source text, which could be an inline secret, so each
 * syntax error code gets a fixed message here instead.
 */
const YAML_ERRORS: Record<string, [message: string, hint: string]> = {
  ALIAS_PROPS: ['an alias cannot carry an anchor or tag', 'remove the &anchor or !tag next to the *alias'],
  BAD_ALIAS: ['an alias refers to an anchor that is not defined before it', 'define &name before using *name, or write the value out'],
  BAD_DIRECTIVE: ['unsupported YAML directive', 'remove the %-directive line'],
  BAD_DQ_ESCAPE: ['invalid escape sequence in a double-quoted string', 'use single quotes, or write "\\" as "\\\\"'],
  BAD_INDENT: ['inconsistent indentation', 'indent nested keys with spaces, by the same amount at each level'],
  BAD_PROP_ORDER: ['anchor or tag in the wrong place', 'put the &anchor or !tag before the value'],
  BAD_SCALAR_START: ['a plain value cannot start with this character', 'quote the value'],
  BLOCK_AS_IMPLICIT_KEY: ['a block value is used as a key', 'check the indentation and the ":" around this line'],
  BLOCK_IN_FLOW: ['a block value appears inside [...] or {...}', 'write the value in flow style, or move it out of the brackets'],
  BAD_COLLECTION_TYPE: ['a tag does not fit the value it is on', 'remove the !tag'],
  IMPOSSIBLE: ['the YAML parser could not read this part of the file', 'simplify the YAML around this line'],
  KEY_OVER_1024_CHARS: ['a key is longer than 1024 characters', 'shorten the key'],
  MISSING_CHAR: ['a character is missing (",", ":", a closing quote or bracket)', 'check brackets, quotes and the space after ":"'],
  MULTILINE_IMPLICIT_KEY: ['a key spans several lines', 'look for a missing ":" or an unclosed quote just above this line'],
  MULTIPLE_ANCHORS: ['a value has several anchors', 'keep one &anchor per value'],
  MULTIPLE_DOCS: ['the file holds more than one YAML document', 'remove the "---" separator: one file holds one configuration'],
  MULTIPLE_TAGS: ['a value has several tags', 'remove the extra !tag'],
  NON_STRING_KEY: ['a key is not a plain string', 'write keys as plain names, not [...] or {...}'],
  RESOURCE_EXHAUSTION: ['aliases expand to too much data', `write the values out instead of nesting *aliases (at most ${MAX_ALIAS_COUNT} expansions)`],
  TAB_AS_INDENT: ['a tab is used for indentation', 'indent with spaces'],
  TAG_RESOLVE_FAILED: ['unknown YAML tag', 'remove the !tag: plain YAML values are all a config needs'],
  UNEXPECTED_TOKEN: ['unexpected text', 'check the indentation, quotes and ":" on this line'],
};

/** Parses config text. `data` is undefined when the text is not usable YAML; `issues` say why. */
export function parseConfigText(text: string): { source: ConfigSource; data: unknown; issues: PendingIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    version: '1.2',
    schema: 'core',
  });
  const source: ConfigSource = { text, doc, lineCounter };
  const issues: PendingIssue[] = [];
  const seen = new Set<string>();
  for (const err of [...doc.errors, ...doc.warnings]) {
    const offset = err.pos[0];
    // One broken bracket can produce the same complaint several times at one place.
    if (seen.has(`${offset}|${err.code}`)) continue;
    seen.add(`${offset}|${err.code}`);
    const at = pathAtOffset(source, offset);
    if (err.code === 'DUPLICATE_KEY') {
      const key = at[at.length - 1];
      const named = typeof key === 'string' && /^[\w.-]{1,64}$/.test(key) ? ` "${key}"` : '';
      issues.push({ code: 'PCL_CONFIG_SYNTAX', at, onKey: true, offset, message: `duplicate key${named}`, hint: 'remove one of the two entries: YAML would otherwise silently keep only one' });
      continue;
    }
    const [message, hint] = YAML_ERRORS[err.code] ?? ['the file is not valid YAML', 'check the YAML syntax on this line'];
    issues.push({ code: 'PCL_CONFIG_SYNTAX', at, offset, message, hint });
  }
  if (issues.length > 0) return { source, data: undefined, issues };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // toJS only throws on alias abuse here (syntax errors were handled above).
    const [message, hint] = YAML_ERRORS.RESOURCE_EXHAUSTION as [string, string];
    return { source, data: undefined, issues: [{ code: 'PCL_CONFIG_SYNTAX', at: [], offset: firstAliasOffset(source), message, hint }] };
  }
  if (data === null || data === undefined) {
    issues.push({ code: 'PCL_CONFIG_VERSION', at: [], offset: 0, message: 'the file is empty', hint: 'start the file with `version: 1` (see portcullis.example.yaml)' });
  } else if (typeof data !== 'object' || Array.isArray(data)) {
    issues.push({ code: 'PCL_CONFIG_SCHEMA', at: [], message: 'the top level must be a mapping of keys to values', hint: 'start the file with `version: 1` followed by `server:` and the other sections' });
  }
  return { source, data: issues.length > 0 ? undefined : data, issues };
}

function firstAliasOffset(source: ConfigSource): number | undefined {
  const idx = source.text.search(/(^|[\s[{,:-])\*[^\s,\]}]/m);
  return idx >= 0 ? idx : undefined;
}

/** Offset -> 1-based line and column. */
export function positionOf(source: ConfigSource, offset: number): Position {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

/**
 * Where the node at `path` starts. When the path does not exist in the file (a default, a missing key,
 * a value added by an env var) this is the deepest ancestor that does, so "missing key" points at the
 * mapping that should hold it.
 */
export function locate(source: ConfigSource, path: ConfigPath, onKey = false): Position | undefined {
  let node: Node | null = source.doc.contents;
  let offset = node?.range?.[0];
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    node = deref(source, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as ParsedNode;
      const last = i === path.length - 1;
      // A key with no value (`key:`) has no value node to point at, so point at the key.
      if ((last && onKey) || pair.value == null) {
        offset = keyNode.range[0];
        node = null;
        break;
      }
      node = pair.value as Node;
      offset = node.range?.[0] ?? keyNode.range[0];
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!item || typeof item !== 'object') break;
      node = item as Node;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : positionOf(source, offset);
}

/** The config path of the innermost node containing `offset`, for syntax errors. */
export function pathAtOffset(source: ConfigSource, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: Node | null = source.doc.contents;
  for (let depth = 0; node && depth < 64; depth++) {
    node = deref(source, node);
    let next: Node | null = null;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as ParsedNode | null;
        const value = pair.value as ParsedNode | null;
        if (!key || !isScalar(key)) continue;
        const end = value?.range?.[2] ?? key.range[2];
        if (offset >= key.range[0] && offset <= end) {
          path.push(String(key.value));
          if (value && offset >= value.range[0]) next = value;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as ParsedNode | null)?.range;
        if (!next && range && offset >= range[0] && offset <= range[2]) {
          path.push(index);
          next = item as Node;
        }
      });
    }
    node = next;
  }
  return path;
}

function deref(source: ConfigSource, node: Node): Node | null {
  return isAlias(node) ? (node.resolve(source.doc) ?? null) : node;
}
