// Turning file bytes into text, refusing what must not be guessed at: oversized input and bytes that
// are not UTF-8 (a policy whose meaning depends on a decoder's replacement characters is not a policy).

import type { PolicyLoadIssue } from '../errors.js';

/** Default largest policy, schema, links or cases file accepted, in bytes. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type Decoded = { ok: true; text: string } | { ok: false; issue: PolicyLoadIssue };

function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

export function tooLargeIssue(file: string, bytes: number, maxBytes: number): PolicyLoadIssue {
  return {
    code: 'PCL_POLICY_TOO_LARGE',
    file,
    message: `the file is ${describeSize(bytes)}; the limit is ${describeSize(maxBytes)}`,
    hint: 'Split it into several files (a policy directory may hold any number), or raise the limit if this size is intended.',
  };
}

/** Byte offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are all invalid UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** Where the bad byte is, as a line and a column counted in the valid characters before it. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, column: [...before].length + 1 };
}

/**
 * Decodes a file strictly as UTF-8 (a leading byte order mark is dropped), after checking its size.
 *
 * @example
 * const d = decodeSource('a.cedar', bytes, DEFAULT_MAX_FILE_BYTES);
 * if (!d.ok) throw new PolicyLoadError([d.issue]);
 */
export function decodeSource(file: string, content: Uint8Array | string, maxBytes: number): Decoded {
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (size > maxBytes) return { ok: false, issue: tooLargeIssue(file, size, maxBytes) };
  if (typeof content === 'string') {
    if (!LONE_SURROGATE.test(content)) return { ok: true, text: content.startsWith('\ufeff') ? content.slice(1) : content };
    return { ok: false, issue: { code: 'PCL_POLICY_NOT_UTF8', file, message: 'the text contains an unpaired UTF-16 surrogate, which UTF-8 cannot encode', hint: 'Remove the broken character.' } };
  }
  try {
    return { ok: true, text: UTF8.decode(content) };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(content));
    const byte = (content[offset] ?? 0).toString(16).padStart(2, '0');
    return {
      ok: false,
      issue: {
        code: 'PCL_POLICY_NOT_UTF8',
        file,
        ...positionOfByte(content, offset),
        message: `the file is not valid UTF-8 (byte 0x${byte} at offset ${offset})`,
        hint: 'Save the file as UTF-8; Latin-1 or UTF-16 files must be converted (e.g. `iconv -f latin1 -t utf-8`).',
      },
    };
  }
}
