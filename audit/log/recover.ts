// Opening a log directory: read every segment, check each frame and the chain, and rebuild the leaf
// hashes. Only the end of the last segment may be cut short (a write the crash interrupted, never
// acknowledged); any other damage is reported with its place, because truncating there would throw
// away records that callers were told are durable.
import { open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../errors.js';
import { bytesEqual, hashLeaf } from '../merkle/hash.js';
import { GENESIS_CHAIN, decodeFrame } from './frame.js';

const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** The file name of the segment whose first record has `firstIndex`. */
export function segmentName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, '0')}.seg`;
}

export interface Segment {
  firstIndex: number;
  path: string;
}

/** The segments in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<Segment[]> {
  const names = await readdir(dir);
  const segments: Segment[] = [];
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name);
    if (match?.[1] !== undefined) segments.push({ firstIndex: Number(match[1]), path: join(dir, name) });
  }
  return segments.sort((a, b) => a.firstIndex - b.firstIndex);
}

export interface RecoveredLog {
  leafHashes: Uint8Array[];
  lastChain: Uint8Array;
  /** The segment new records go to, and its length after any repair; undefined for an empty log. */
  tail: { segment: Segment; bytes: number } | undefined;
  /** Bytes cut from the end of the last segment (0 when it ended cleanly). */
  truncatedBytes: number;
}

/** Visits each record's payload while checking; used by recovery and by readers such as tests. */
export type RecordVisitor = (index: number, payload: Buffer) => void;

/**
 * Verifies every segment in `dir` and repairs a torn tail in place (truncate + fsync).
 * Throws AuditError PCL_AUDIT_CORRUPT with the file, byte offset and record index of any other damage.
 */
export async function recoverLog(dir: string, maxRecordBytes: number, visit?: RecordVisitor): Promise<RecoveredLog> {
  const segments = await listSegments(dir);
  const leafHashes: Uint8Array[] = [];
  let chain = GENESIS_CHAIN;
  let truncatedBytes = 0;
  let tailBytes = 0;
  for (const [n, segment] of segments.entries()) {
    const isLast = n === segments.length - 1;
    if (segment.firstIndex !== leafHashes.length) {
      throw corrupt(segment.path, 0, leafHashes.length, `segment starts at record ${segment.firstIndex}, expected ${leafHashes.length}`);
    }
    // Segments are bounded by maxSegmentBytes, so reading one whole keeps memory bounded too.
    const buf = await readFile(segment.path);
    let offset = 0;
    while (offset < buf.length) {
      const frame = decodeFrame(buf, offset, maxRecordBytes);
      if (frame.kind === 'ok') {
        if (!bytesEqual(frame.prev, chain)) throw corrupt(segment.path, offset, leafHashes.length, 'chain hash does not match the previous record');
        visit?.(leafHashes.length, frame.payload);
        leafHashes.push(hashLeaf(frame.payload));
        chain = frame.chain;
        offset = frame.end;
        continue;
      }
      // A crash mid-write leaves a short frame, or zeros where the file grew but data never landed.
      if (isLast && (frame.kind === 'incomplete' || isAllZero(buf, offset))) break;
      const reason = frame.kind === 'bad' ? frame.reason : 'segment ends inside a record';
      throw corrupt(segment.path, offset, leafHashes.length, reason);
    }
    if (isLast && offset < buf.length) {
      truncatedBytes = buf.length - offset;
      const fh = await open(segment.path, 'r+');
      try {
        await fh.truncate(offset);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
    tailBytes = offset;
  }
  const last = segments.at(-1);
  return { leafHashes, lastChain: chain, tail: last === undefined ? undefined : { segment: last, bytes: tailBytes }, truncatedBytes };
}

function isAllZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function corrupt(path: string, offset: number, index: number, reason: string): AuditError {
  return new AuditError('PCL_AUDIT_CORRUPT', `${path} at byte ${offset} (record ${index}): ${reason}`);
}
