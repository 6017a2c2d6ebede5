// Positions in source text. cedar-wasm reports UTF-8 byte offsets into the string it was handed;
// JavaScript strings index UTF-16 code units; people read line:column. This file converts between them.

/** A decoded source file and the start index of each of its lines. */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    /** The path as shown in errors. */
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      // \r\n counts once; a lone \r is a line break too, as in Cedar's own line counting.
      const ch = text.charCodeAt(i);
      if (ch === 0x0a) this.lineStarts.push(i + 1);
      else if (ch === 0x0d && text.charCodeAt(i + 1) !== 0x0a) this.lineStarts.push(i + 1);
    }
  }

  /** 1-based line and column (in code points) of a UTF-16 index into the text. */
  position(index: number): { line: number; column: number } {
    const at = Math.max(0, Math.min(index, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo] ?? 0;
    return { line: lo + 1, column: codePointCount(this.text, lineStart, at) + 1 };
  }

  /** Position of a UTF-8 byte offset into `text.slice(partStart)`, i.e. into one policy's own text. */
  positionOfByteOffset(partStart: number, byteOffset: number): { line: number; column: number } {
    return this.position(partStart + utf16IndexOfByteOffset(this.text, partStart, byteOffset));
  }
}

function codePointCount(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    // The second half of a surrogate pair is the same code point as the first.
    if (ch < 0xdc00 || ch > 0xdfff) n++;
  }
  return n;
}

/**
 * The UTF-16 offset, relative to `from`, of the character at UTF-8 byte offset `byteOffset` counted
 * from `from`. Offsets past the end clamp to the end, so a bad offset from the engine never throws.
 */
export function utf16IndexOfByteOffset(text: string, from: number, byteOffset: number): number {
  let bytes = 0;
  let i = from;
  while (i < text.length && bytes < byteOffset) {
    const cp = text.codePointAt(i) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return i - from;
}
