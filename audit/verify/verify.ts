// Tamper detection: replay the log read-only and hold it against every checkpoint it ever signed.
// The hash chain catches edits inside the log (a flipped byte, a deleted or reordered record); the
// signed checkpoints catch what the chain cannot — a log cut short, or rewritten wholesale with a
// freshly computed chain — because the signed roots no longer match.
import { readFile } from 'node:fs/promises';
import { AuditError, type AuditErrorCode } from '../errors.js';
import { verifyCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { parseVerifierKey, type NoteVerifier } from '../checkpoint/note.js';
import { GENESIS_CHAIN, decodeFrame } from '../log/frame.js';
import { listSegments } from '../log/recover.js';
import { bytesEqual, hashLeaf } from '../merkle/hash.js';
import { consistencyProof, rootAt } from '../merkle/prove.js';
import { verifyConsistency } from '../merkle/verify.js';
import { readCheckpoints } from './checkpoints.js';

/** Where a problem is: a file and byte offset, and the record index or checkpoint entry number there. */
export interface ProblemPosition {
  file: string;
  offset: number;
  /** Record index for log damage; entry number (0-based) for a checkpoint. */
  index: number;
}

export interface VerifyProblem {
  code: AuditErrorCode;
  message: string;
  position?: ProblemPosition;
}

export interface VerifyReport {
  /** True when the log and every checkpoint check out. */
  ok: boolean;
  /** Records that replayed intact (the prefix before any damage). */
  size: number;
  /** Checkpoint entries found in the checkpoints file. */
  checkpoints: number;
  problems: VerifyProblem[];
}

export interface VerifyLogOptions {
  /** Largest record to accept, as given to AuditLog.open. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Origin every checkpoint must carry. Defaults to the verifier key's name. */
  origin?: string;
}

/**
 * Verifies the log in `dir` against its checkpoints without modifying anything. Never throws for
 * damage: every finding is a problem in the report; only I/O failures reject.
 *
 * @example
 * const report = await verifyLog('/var/lib/portcullis/audit', 'portcullis.audit/prod+1f2e3d4c+AXzL…');
 * if (!report.ok) for (const p of report.problems) alarm(p.code, p.message);
 */
export async function verifyLog(dir: string, verifierKey: NoteVerifier | string, options: VerifyLogOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const verifier = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const origin = options.origin ?? verifier.name;
  const { leafHashes, damaged } = await replay(dir, options.maxRecordBytes ?? 1024 * 1024, problems);
  const size = leafHashes.length;

  const { path, entries } = await readCheckpoints(dir);
  let previous: Checkpoint | undefined;
  for (const entry of entries) {
    const position = { file: path, offset: entry.offset, index: entry.index };
    if (entry.kind === 'bad') {
      problems.push({ code: 'PCL_AUDIT_CHECKPOINT_MALFORMED', message: `checkpoint ${entry.index}: ${entry.reason}`, position });
      continue;
    }
    let cp: Checkpoint;
    try {
      cp = verifyCheckpoint(entry.note, verifier);
    } catch (err) {
      if (!(err instanceof AuditError)) throw err;
      problems.push({ code: err.code, message: `checkpoint ${entry.index}: ${err.message}`, position });
      continue;
    }
    if (cp.origin !== origin) {
      problems.push({ code: 'PCL_AUDIT_CHECKPOINT_MISMATCH', message: `checkpoint ${entry.index} is for origin ${JSON.stringify(cp.origin)}, expected ${JSON.stringify(origin)}`, position });
      continue;
    }
    if (cp.size > size) {
      // With damage reported already, the records past it are unreadable rather than missing.
      if (!damaged) problems.push({ code: 'PCL_AUDIT_TRUNCATED', message: `checkpoint ${entry.index} signed ${cp.size} records but the log holds ${size}`, position });
    } else if (!bytesEqual(rootAt(cp.size, leafHashes), cp.root)) {
      problems.push({ code: 'PCL_AUDIT_CHECKPOINT_MISMATCH', message: `the log's root at size ${cp.size} differs from the one checkpoint ${entry.index} signed`, position });
    }
    if (previous !== undefined) checkPair(previous, cp, entry.index, leafHashes, position, problems);
    previous = cp;
  }
  return { ok: problems.length === 0, size, checkpoints: entries.length, problems };
}

/** A newer checkpoint must not shrink the log and must extend the older one, proven from the log. */
function checkPair(older: Checkpoint, newer: Checkpoint, index: number, leafHashes: Uint8Array[], position: ProblemPosition, problems: VerifyProblem[]): void {
  if (newer.size < older.size) {
    problems.push({ code: 'PCL_AUDIT_CHECKPOINT_INCONSISTENT', message: `checkpoint ${index} signed ${newer.size} records, fewer than the ${older.size} before it`, position });
    return;
  }
  // The empty tree is a prefix of everything, and sizes past the log cannot be proven from it.
  if (older.size === 0 || newer.size > leafHashes.length) return;
  try {
    verifyConsistency(older.size, newer.size, consistencyProof(older.size, newer.size, leafHashes), older.root, newer.root);
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
    problems.push({ code: 'PCL_AUDIT_CHECKPOINT_INCONSISTENT', message: `checkpoint ${index} (size ${newer.size}) does not extend the one before it (size ${older.size}): ${err.message}`, position });
  }
}

/**
 * Reads every segment as recovery does, but never truncates: a verifier must leave the evidence as
 * it found it. Stops at the first damage, since the chain after it proves nothing.
 */
async function replay(dir: string, maxRecordBytes: number, problems: VerifyProblem[]): Promise<{ leafHashes: Uint8Array[]; damaged: boolean }> {
  const leafHashes: Uint8Array[] = [];
  const segments = await listSegments(dir);
  let chain = GENESIS_CHAIN;
  const damage = (file: string, offset: number, reason: string): { leafHashes: Uint8Array[]; damaged: boolean } => {
    problems.push({ code: 'PCL_AUDIT_CORRUPT', message: `${file} at byte ${offset} (record ${leafHashes.length}): ${reason}`, position: { file, offset, index: leafHashes.length } });
    return { leafHashes, damaged: true };
  };
  for (const [n, segment] of segments.entries()) {
    if (segment.firstIndex !== leafHashes.length) return damage(segment.path, 0, `segment starts at record ${segment.firstIndex}, expected ${leafHashes.length}`);
    const buf = await readFile(segment.path);
    let offset = 0;
    while (offset < buf.length) {
      const frame = decodeFrame(buf, offset, maxRecordBytes);
      if (frame.kind === 'ok') {
        if (!bytesEqual(frame.prev, chain)) return damage(segment.path, offset, 'chain hash does not match the previous record (a record was deleted, inserted or reordered)');
        leafHashes.push(hashLeaf(frame.payload));
        chain = frame.chain;
        offset = frame.end;
        continue;
      }
      // A torn tail is an unacknowledged write, not tampering; recovery would cut it on next open.
      if (n === segments.length - 1 && (frame.kind === 'incomplete' || isAllZero(buf, offset))) break;
      return damage(segment.path, offset, frame.kind === 'bad' ? frame.reason : 'segment ends inside a record');
    }
  }
  return { leafHashes, damaged: false };
}

function isAllZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
