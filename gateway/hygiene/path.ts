// The one place the gateway decides what a request path means. The raw request target is decoded
// exactly once; routing, policy and the upstream request all use the result, so no component can
// see a different path from another. Anything whose meaning could differ between us and an upstream
// (encoded separators, dot segments, double encoding, overlong UTF-8, Unicode look-alikes) is
// refused rather than repaired: nothing is collapsed or rewritten silently.

import type { PathRules } from '../config/types.js';
import type { GatewayErrorCode } from '../errors.js';

export interface NormalizedTarget {
  readonly ok: true;
  /** Decoded exactly once; what routing and policy see. Never holds `%XX`, `\`, controls or dot segments. */
  readonly path: string;
  /** The canonical percent-encoding of `path`, sent upstream. Decoding it once gives `path` back. */
  readonly upstreamPath: string;
  /** The raw query including its leading '?', or ''. Passed through unchanged. */
  readonly query: string;
}

export interface HygieneRejection {
  readonly ok: false;
  readonly code: GatewayErrorCode;
}

// One frozen rejection per code, so refusing a request allocates nothing.
const rejections = new Map<GatewayErrorCode, HygieneRejection>();
function reject(code: GatewayErrorCode): HygieneRejection {
  let r = rejections.get(code);
  if (r === undefined) {
    r = Object.freeze({ ok: false as const, code });
    rejections.set(code, r);
  }
  return r;
}

// Character classes for the single scan over the raw target (ASCII only; >= 0x80 is handled apart).
const KEEP = 0; // unreserved, sub-delims (but ';'), ':' and '@': valid raw and kept raw upstream
const DOT = 1;
const ENCODE = 2; // printable but not a pchar ('"', '<', '{', '|', ...): accepted, re-encoded upstream
const SLASH = 3;
const PERCENT = 4;
const SEMI = 5;
const BACKSLASH = 6;
const HASH = 7;
const QUESTION = 8;
const CTRL = 9;
const SPACE = 10;

const CLASS = new Uint8Array(128).fill(ENCODE);
for (let c = 0; c < 0x20; c++) CLASS[c] = CTRL;
CLASS[0x7f] = CTRL;
CLASS[0x20] = SPACE;
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~!$&\'()*+,=:@') {
  CLASS[ch.charCodeAt(0)] = KEEP;
}
CLASS[0x2e] = DOT;
CLASS[0x2f] = SLASH;
CLASS[0x25] = PERCENT;
CLASS[0x3b] = SEMI;
CLASS[0x5c] = BACKSLASH;
CLASS[0x23] = HASH;
CLASS[0x3f] = QUESTION;

// Canonical upstream encoding of each byte: RFC 3986 pchar characters plus '/' stay raw, everything
// else becomes %XX with upper-case hex. ';' stays raw because it is only present when the operator
// allowed it, and then it means the same to us and to the upstream.
const ENC: string[] = [];
for (let b = 0; b < 256; b++) {
  const keep = b < 128 && (CLASS[b] === KEEP || CLASS[b] === DOT || b === 0x2f || b === 0x3b);
  ENC.push(keep ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'));
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

// Fatal so overlong forms (%c0%af), surrogates (%ed%a0%80) and stray continuation bytes are refused
// instead of becoming U+FFFD; ignoreBOM so a U+FEFF in the path is kept, not eaten.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Decoded bytes land here; the scan is synchronous, so one module-level buffer is safe and spares an
// allocation per request. It only grows (bounded by rules.maxLength).
let scratch = Buffer.alloc(1024);

/**
 * Decides the one path a request target means, or why it is refused.
 *
 * @example
 * const t = normalizeRequestTarget('/files/a%20b?x=1', rules);
 * if (!t.ok) throw new GatewayError(t.code);
 * // t.path === '/files/a b', t.upstreamPath === '/files/a%20b', t.query === '?x=1'
 */
export function normalizeRequestTarget(rawTarget: string, rules: PathRules): NormalizedTarget | HygieneRejection {
  const len = rawTarget.length;
  if (len > rules.maxLength) return reject('PCL_PATH_TOO_LONG');
  // Origin-form only: absolute-form ("http://..."), authority-form and "*" are refused.
  if (len === 0 || rawTarget.charCodeAt(0) !== 0x2f) return reject('PCL_PATH_NOT_ABSOLUTE');
  if (scratch.length < len) scratch = Buffer.alloc(Math.max(len, scratch.length * 2));
  const buf = scratch;
  buf[0] = 0x2f;
  let n = 1;

  const allowSemicolon = rules.allowSemicolon;
  const allowDoubleSlash = rules.allowDoubleSlash;
  let hasPercent = false;
  let needsEncode = false;
  let hasHigh = false;
  let hasDecodedPercent = false;
  // Per segment: decoded length and how many of those characters are dots (raw or %2e); a segment
  // that is all dots and one or two long is a dot segment however it was spelled.
  let segLen = 0;
  let segDots = 0;
  let i = 1;

  for (; i < len; i++) {
    const c = rawTarget.charCodeAt(i);
    // Raw non-ASCII is not a valid request target (and Node hands it over as latin1, so its meaning
    // is already lost); the client must percent-encode it as UTF-8.
    if (c >= 0x80) return reject('PCL_PATH_NOT_UTF8');
    const cls = CLASS[c];
    if (cls === QUESTION) break;
    switch (cls) {
      case KEEP:
        buf[n++] = c;
        segLen++;
        continue;
      case DOT:
        buf[n++] = c;
        segLen++;
        segDots++;
        continue;
      case ENCODE:
        buf[n++] = c;
        segLen++;
        needsEncode = true;
        continue;
      case SLASH:
        if (segLen === 0) {
          if (!allowDoubleSlash) return reject('PCL_PATH_DOUBLE_SLASH');
        } else if (segDots === segLen && segLen <= 2) {
          return reject('PCL_PATH_DOT_SEGMENT');
        }
        buf[n++] = c;
        segLen = 0;
        segDots = 0;
        continue;
      case SEMI:
        if (!allowSemicolon) return reject('PCL_PATH_SEMICOLON');
        buf[n++] = c;
        segLen++;
        continue;
      case BACKSLASH:
        return reject('PCL_PATH_BACKSLASH');
      case CTRL:
        return reject('PCL_PATH_NUL');
      case HASH: // a fragment is never sent by a conforming client; its presence means confusion
      case SPACE:
        return reject('PCL_BAD_REQUEST');
      case PERCENT: {
        const h1 = i + 2 < len ? hexValue(rawTarget.charCodeAt(i + 1)) : -1;
        const h2 = h1 >= 0 ? hexValue(rawTarget.charCodeAt(i + 2)) : -1;
        if (h2 < 0) return reject('PCL_PATH_INVALID_ENCODING');
        const b = (h1 << 4) | h2;
        i += 2;
        hasPercent = true;
        if (b === 0x2f || b === 0x5c) return reject('PCL_PATH_ENCODED_SEPARATOR');
        if (b < 0x20 || b === 0x7f) return reject('PCL_PATH_NUL');
        if (b === 0x3b && !allowSemicolon) return reject('PCL_PATH_SEMICOLON');
        if (b === 0x2e) segDots++;
        else if (b === 0x25) hasDecodedPercent = true;
        else if (b >= 0x80) hasHigh = true;
        buf[n++] = b;
        segLen++;
      }
    }
  }
  if (segLen > 0 && segDots === segLen && segLen <= 2) return reject('PCL_PATH_DOT_SEGMENT');

  let query = '';
  if (i < len) {
    const bad = checkQuery(rawTarget, i + 1);
    if (bad !== null) return bad;
    query = rawTarget.slice(i);
  }

  if (!hasPercent) {
    // Fast path: nothing to decode, so the raw slice is the decoded path.
    const path = i === len ? rawTarget : rawTarget.slice(0, i);
    return { ok: true, path, upstreamPath: needsEncode ? encodeBytes(buf, n) : path, query };
  }

  let path: string;
  if (!hasHigh) {
    // All bytes are ASCII, so there is nothing for UTF-8 validation to refuse; skip the decoder call.
    path = buf.toString('latin1', 0, n);
  } else {
    try {
      path = utf8.decode(buf.subarray(0, n));
    } catch {
      return reject('PCL_PATH_NOT_UTF8');
    }
  }
  if (hasDecodedPercent && holdsPercentEscape(path)) return reject('PCL_PATH_DOUBLE_ENCODED');
  if (hasHigh) {
    const bad = checkUnicode(path, allowSemicolon);
    if (bad !== null) return bad;
  }
  return { ok: true, path, upstreamPath: encodeBytes(buf, n), query };
}

/**
 * The canonical encoding of an already-decoded path: `encodePath(t.path) === t.upstreamPath` for
 * every accepted target. For callers that build a path from decoded parts.
 */
export function encodePath(path: string): string {
  let out = '';
  for (let k = 0; k < path.length; k++) {
    const c = path.charCodeAt(k);
    if (c < 0x80) {
      out += ENC[c];
    } else {
      // Rare: fall back to the UTF-8 bytes of the rest. Lone surrogates cannot occur in a path
      // that came out of normalizeRequestTarget (the fatal decoder refuses them).
      const bytes = Buffer.from(path.slice(k), 'utf8');
      for (const b of bytes) out += ENC[b];
      return out;
    }
  }
  return out;
}

function encodeBytes(buf: Uint8Array, n: number): string {
  let out = '';
  for (let k = 0; k < n; k++) out += ENC[buf[k] as number];
  return out;
}

// The query is the upstream's to interpret, so it is passed through raw; only characters that can
// never be valid in a request target (and could split or confuse the request line or logs) are refused.
function checkQuery(raw: string, from: number): HygieneRejection | null {
  for (let k = from; k < raw.length; k++) {
    const c = raw.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f || c === 0x23 || c >= 0x80) return reject('PCL_BAD_REQUEST');
  }
  return null;
}

function holdsPercentEscape(s: string): boolean {
  for (let k = s.indexOf('%'); k >= 0; k = s.indexOf('%', k + 1)) {
    if (k + 2 < s.length && hexValue(s.charCodeAt(k + 1)) >= 0 && hexValue(s.charCodeAt(k + 2)) >= 0) {
      return true;
    }
  }
  return false;
}

// Characters that look like or are treated as path separators by some software but that NFKC does
// not turn into '/' or '\' (those that it does are caught by the NFKC pass below as well).
const SEPARATOR_LOOKALIKES = new Set([
  0x2044, // FRACTION SLASH
  0x2215, // DIVISION SLASH
  0x2216, // SET MINUS
  0x29f5, // REVERSE SOLIDUS OPERATOR
  0x29f8, // BIG SOLIDUS
  0x29f9, // BIG REVERSE SOLIDUS
  0xfe68, // SMALL REVERSE SOLIDUS
  0xff0f, // FULLWIDTH SOLIDUS
  0xff3c, // FULLWIDTH REVERSE SOLIDUS
]);

// Full stops that NFKC leaves alone but which some URL handling (IDNA-style mapping) turns into '.'.
function isDotLike(c: number): boolean {
  return c === 0x2e || c === 0x3002 || c === 0xff61;
}

// Some upstreams (and frameworks in front of them) apply NFKC or confusable mapping to the decoded
// path. A path that we route and authorize as one thing must not become "/..", "/x/y", "%2e" or
// ";" after such a mapping, so we check the NFKC form's structure and refuse any difference in it.
// Letters that fold to ASCII (fullwidth "ａｄｍｉｎ") are left alone on purpose: like letter case,
// that is an equivalence for the upstream to define and for policy to be written against, not a
// change of path structure, and refusing it would break ordinary CJK paths.
function checkUnicode(path: string, allowSemicolon: boolean): HygieneRejection | null {
  let slashes = 0;
  for (let k = 0; k < path.length; k++) {
    const c = path.charCodeAt(k);
    if (c === 0x2f) slashes++;
    else if (c >= 0x80 && c <= 0x9f) return reject('PCL_PATH_NUL'); // C1 controls (NEL, CSI, ...)
    else if (SEPARATOR_LOOKALIKES.has(c)) return reject('PCL_PATH_ENCODED_SEPARATOR');
  }
  const nf = path.normalize('NFKC');
  let segLen = 0;
  let segDots = 0;
  for (let k = 0; k <= nf.length; k++) {
    const c = k < nf.length ? nf.charCodeAt(k) : 0x2f;
    if (c === 0x2f) {
      if (segLen > 0 && segDots === segLen && segLen <= 2) return reject('PCL_PATH_DOT_SEGMENT');
      if (k < nf.length) slashes--;
      segLen = 0;
      segDots = 0;
      continue;
    }
    segLen++;
    if (isDotLike(c)) segDots++;
    else if (c === 0x5c) return reject('PCL_PATH_ENCODED_SEPARATOR');
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return reject('PCL_PATH_NUL');
    else if (c === 0x3b && !allowSemicolon) return reject('PCL_PATH_SEMICOLON');
    else if (c === 0x25 && k + 2 < nf.length && hexValue(nf.charCodeAt(k + 1)) >= 0 && hexValue(nf.charCodeAt(k + 2)) >= 0) {
      return reject('PCL_PATH_DOUBLE_ENCODED');
    }
  }
  // NFKC turned something into '/' ("℀" is "a/c"): an upstream that normalizes would see other segments.
  if (slashes !== 0) return reject('PCL_PATH_ENCODED_SEPARATOR');
  return null;
}
