// The append-only audit log with group commit. Appends queue up; one batch at a time is written with
// a single `writev` and made durable with a single `fdatasync`, and only then are its appends
// resolved. The queue is bounded and a disk error is sticky, so a slow or broken disk turns into fast
// rejections (callers fail closed) rather than hanging requests or unbounded memory.
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../errors.js';
import { CompactTree } from '../merkle/compact.js';
import { hashLeaf } from '../merkle/hash.js';
import { encodeFrame } from './frame.js';
import { recoverLog, segmentName } from './recover.js';
import type { Segment } from './recover.js';

export interface AuditLogOptions {
  /** Most records in one write + fdatasync. Default 256. */
  maxBatch?: number;
  /** How long the first queued record waits for company before its batch is written. Default 2 ms. */
  maxDelayMs?: number;
  /** Most records queued or in flight; beyond it `append` rejects with PCL_AUDIT_QUEUE_FULL. Default 4096. */
  maxQueue?: number;
  /** Largest accepted payload. Default 1 MiB. */
  maxRecordBytes?: number;
  /** A segment that has reached this size is closed and a new one started. Default 64 MiB. */
  maxSegmentBytes?: number;
}

/** What the log has done since it was opened; `syncs` counts fdatasync calls. */
export interface AuditLogStats {
  batches: number;
  syncs: number;
  records: number;
  /** Bytes cut from a torn tail when the log was opened. */
  repairedBytes: number;
}

/** An acknowledged append: the record's index and its RFC 6962 leaf hash. */
export interface Appended {
  index: number;
  leafHash: Uint8Array;
}

interface Pending {
  parts: Buffer[];
  bytes: number;
  leafHash: Uint8Array;
  resolve: (value: Appended) => void;
  reject: (err: AuditError) => void;
}

/**
 * An append-only, hash-chained, Merkle-tree-backed log of opaque records in `dir`.
 *
 * @example
 * const log = await AuditLog.open('/var/lib/portcullis/audit');
 * const { index } = await log.append(Buffer.from(JSON.stringify(event))); // durable now
 * const head = { size: log.size, root: log.root() };
 * await log.close();
 */
export class AuditLog {
  readonly #dir: string;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #maxQueue: number;
  readonly #maxRecordBytes: number;
  readonly #maxSegmentBytes: number;
  readonly #tree: CompactTree;
  readonly #leafHashes: Uint8Array[];
  readonly #stats: AuditLogStats;
  #fh: FileHandle | undefined;
  #segmentBytes: number;
  #chain: Uint8Array;
  #queue: Pending[] = [];
  #inFlight = 0;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failure: AuditError | undefined;
  #closed = false;

  private constructor(dir: string, opts: Required<AuditLogOptions>, state: { leafHashes: Uint8Array[]; chain: Uint8Array; tail: { segment: Segment; bytes: number } | undefined; fh: FileHandle | undefined; repairedBytes: number }) {
    this.#dir = dir;
    this.#maxBatch = opts.maxBatch;
    this.#maxDelayMs = opts.maxDelayMs;
    this.#maxQueue = opts.maxQueue;
    this.#maxRecordBytes = opts.maxRecordBytes;
    this.#maxSegmentBytes = opts.maxSegmentBytes;
    this.#leafHashes = state.leafHashes;
    this.#tree = new CompactTree();
    for (const h of state.leafHashes) this.#tree.append(h);
    this.#chain = state.chain;
    this.#fh = state.fh;
    this.#segmentBytes = state.tail?.bytes ?? 0;
    this.#stats = { batches: 0, syncs: 0, records: 0, repairedBytes: state.repairedBytes };
  }

  /**
   * Opens (creating if needed) the log in `dir`: verifies every record and the chain, cuts a torn
   * tail, rebuilds the tree. Throws PCL_AUDIT_CORRUPT with the position of any other damage.
   */
  static async open(dir: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const opts: Required<AuditLogOptions> = {
      maxBatch: positive('maxBatch', options.maxBatch ?? 256),
      maxDelayMs: nonNegative('maxDelayMs', options.maxDelayMs ?? 2),
      maxQueue: positive('maxQueue', options.maxQueue ?? 4096),
      maxRecordBytes: positive('maxRecordBytes', options.maxRecordBytes ?? 1024 * 1024),
      maxSegmentBytes: positive('maxSegmentBytes', options.maxSegmentBytes ?? 64 * 1024 * 1024),
    };
    await mkdir(dir, { recursive: true });
    const recovered = await recoverLog(dir, opts.maxRecordBytes);
    const fh = recovered.tail === undefined ? undefined : await open(recovered.tail.segment.path, 'a');
    return new AuditLog(dir, opts, { leafHashes: recovered.leafHashes, chain: recovered.lastChain, tail: recovered.tail, fh, repairedBytes: recovered.truncatedBytes });
  }

  /** Number of durable records. */
  get size(): number {
    return this.#tree.size;
  }

  /** The RFC 6962 root over the durable records. */
  root(): Uint8Array {
    return this.#tree.root();
  }

  /** Leaf hash of durable record `index`, in the shape `inclusionProof` and `rootAt` accept. */
  readonly leafHash = (index: number): Uint8Array => {
    const h = this.#leafHashes[index];
    if (h === undefined || index >= this.#tree.size) throw new AuditError('PCL_AUDIT_PROOF_UNAVAILABLE', `no durable record ${index}`);
    return h;
  };

  /** A snapshot of the counters (batches, fdatasyncs, records, repaired bytes). */
  stats(): AuditLogStats {
    return { ...this.#stats };
  }

  /**
   * Queues `record` and resolves once the batch holding it is written and fdatasynced. Rejects at
   * once with PCL_AUDIT_QUEUE_FULL, PCL_AUDIT_DISK (sticky until reopened) or PCL_AUDIT_CLOSED.
   */
  append(record: Buffer): Promise<Appended> {
    if (this.#closed) return Promise.reject(new AuditError('PCL_AUDIT_CLOSED'));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (record.length === 0 || record.length > this.#maxRecordBytes) {
      return Promise.reject(new AuditError('PCL_AUDIT_RECORD_INVALID', `${record.length} bytes, limit ${this.#maxRecordBytes}`));
    }
    if (this.#queue.length + this.#inFlight >= this.#maxQueue) {
      return Promise.reject(new AuditError('PCL_AUDIT_QUEUE_FULL', `${this.#maxQueue} records waiting`));
    }
    // A private copy: the CRC, chain and leaf hash are computed now, and a caller reusing its buffer
    // before the batch is written must not make the disk disagree with them.
    const payload = Buffer.from(record);
    // Framing happens here, in append order, so the chain is fixed before anything reaches the disk.
    const frame = encodeFrame(payload, this.#chain);
    this.#chain = frame.chain;
    return new Promise<Appended>((resolve, reject) => {
      this.#queue.push({ parts: frame.parts, bytes: frame.bytes, leafHash: hashLeaf(payload), resolve, reject });
      this.#schedule();
    });
  }

  /** Writes out everything queued, then closes the segment. Later appends reject with PCL_AUDIT_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing !== undefined || this.#queue.length > 0) {
      if (this.#writing === undefined) this.#startBatch();
      await this.#writing;
    }
    await this.#fh?.close();
    this.#fh = undefined;
  }

  #schedule(): void {
    if (this.#writing !== undefined || this.#timer !== undefined) return;
    if (this.#queue.length >= this.#maxBatch) {
      this.#startBatch();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#writing === undefined) this.#startBatch();
    }, this.#maxDelayMs);
  }

  #startBatch(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    this.#inFlight = batch.length;
    this.#writing = this.#writeBatch(batch).finally(() => {
      this.#inFlight = 0;
      this.#writing = undefined;
      // Records that queued up behind the write go out now: under load the batch fills itself.
      if (this.#queue.length > 0 && !this.#closed) {
        if (this.#queue.length >= this.#maxBatch || this.#maxDelayMs === 0) this.#startBatch();
        else this.#schedule();
      }
    });
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    if (this.#failure !== undefined) {
      for (const p of batch) p.reject(this.#failure);
      return;
    }
    try {
      const fh = await this.#segmentFor();
      const parts: Buffer[] = [];
      let bytes = 0;
      for (const p of batch) {
        for (const part of p.parts) parts.push(part);
        bytes += p.bytes;
      }
      await writeAll(fh, parts, bytes);
      await fh.datasync();
      this.#segmentBytes += bytes;
    } catch (err) {
      // The chain already covers these records, so nothing after them can be written safely: stop
      // taking appends until the log is reopened and recovery decides what actually reached the disk.
      this.#failure = new AuditError('PCL_AUDIT_DISK', (err as NodeJS.ErrnoException).code ?? 'write failed', { cause: err });
      for (const p of batch) p.reject(this.#failure);
      for (const p of this.#queue.splice(0)) p.reject(this.#failure);
      return;
    }
    this.#stats.batches++;
    this.#stats.syncs++;
    this.#stats.records += batch.length;
    for (const p of batch) {
      const index = this.#tree.append(p.leafHash);
      this.#leafHashes.push(p.leafHash);
      p.resolve({ index, leafHash: p.leafHash });
    }
  }

  /** The open tail segment, starting a new one when there is none or the current one is full. */
  async #segmentFor(): Promise<FileHandle> {
    if (this.#fh !== undefined && this.#segmentBytes < this.#maxSegmentBytes) return this.#fh;
    if (this.#fh !== undefined) await this.#fh.close();
    this.#fh = undefined;
    const fh = await open(join(this.#dir, segmentName(this.#tree.size)), 'a');
    // The new name must survive a crash as well as its contents, so the directory is synced too.
    await syncDir(this.#dir);
    this.#stats.syncs++;
    this.#fh = fh;
    this.#segmentBytes = 0;
    return fh;
  }
}

async function writeAll(fh: FileHandle, parts: Buffer[], bytes: number): Promise<void> {
  let { bytesWritten } = await fh.writev(parts);
  // Regular files rarely take a short write, but if one happens the rest must follow in order.
  while (bytesWritten < bytes) {
    const rest = Buffer.concat(parts).subarray(bytesWritten);
    const more = await fh.write(rest);
    if (more.bytesWritten === 0) throw new Error('short write');
    bytesWritten += more.bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `${name} ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `${name} ${String(value)}`);
  return value;
}
