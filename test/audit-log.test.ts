// The append-only log as a caller sees it: what was acknowledged is there after reopening with the
// same root, batches share an fdatasync, overload and disk failure reject at once, a torn tail is
// repaired and damage anywhere else is reported with its position.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditError, AuditLog, EMPTY_ROOT, hashLeaf, inclusionProof, recoverLog, rootAt, verifyInclusion } from '../audit/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-audit-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const record = (i: number): Buffer => Buffer.from(`{"i":${i},"pad":"${'x'.repeat(i % 50)}"}`);
const SEG0 = '00000000000000000000.seg';

async function readRecords(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await recoverLog(dir, 1024 * 1024, (_i, payload) => out.push(Buffer.from(payload)));
  return out;
}

async function fill(dir: string, n: number): Promise<void> {
  const log = await AuditLog.open(dir);
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(record(i))));
  await log.close();
}

async function openError(dir: string): Promise<AuditError> {
  const err: unknown = await AuditLog.open(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuditError);
  return err as AuditError;
}

describe('AuditLog append and reopen', () => {
  it('acknowledges indices in order and reopens with the same size, root and records', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir);
    expect(log.size).toBe(0);
    expect(log.root()).toEqual(EMPTY_ROOT);
    const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(record(i))));
    expect(acks.map((a) => a.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    acks.forEach((a, i) => expect(a.leafHash).toEqual(hashLeaf(record(i))));
    const leaves = acks.map((a) => a.leafHash);
    expect(log.size).toBe(100);
    expect(log.root()).toEqual(rootAt(100, leaves));
    const root = log.root();
    await log.close();

    const again = await AuditLog.open(dir);
    expect(again.size).toBe(100);
    expect(again.root()).toEqual(root);
    const proof = inclusionProof(42, again.size, again.leafHash);
    verifyInclusion(hashLeaf(record(42)), 42, again.size, proof, root);
    const next = await again.append(record(100));
    expect(next.index).toBe(100);
    expect(again.root()).toEqual(rootAt(101, [...leaves, next.leafHash]));
    await again.close();
    expect(await readRecords(dir)).toEqual(Array.from({ length: 101 }, (_, i) => record(i)));
  });

  it('keeps what it was given even if the caller reuses the buffer', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir);
    const buf = Buffer.from('original');
    const pending = log.append(buf);
    buf.write('mutated!');
    await pending;
    await log.close();
    expect(await readRecords(dir)).toEqual([Buffer.from('original')]);
  });

  it('rejects empty and oversized records and appends after close', async () => {
    const log = await AuditLog.open(tempDir(), { maxRecordBytes: 8 });
    await expect(log.append(Buffer.alloc(0))).rejects.toMatchObject({ code: 'PCL_AUDIT_RECORD_INVALID' });
    await expect(log.append(Buffer.alloc(9))).rejects.toMatchObject({ code: 'PCL_AUDIT_RECORD_INVALID' });
    await log.close();
    await expect(log.append(Buffer.from('late'))).rejects.toMatchObject({ code: 'PCL_AUDIT_CLOSED' });
  });

  it('rolls over to a new segment named by its first index', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir, { maxSegmentBytes: 200, maxBatch: 4 });
    for (let i = 0; i < 40; i += 4) await Promise.all([0, 1, 2, 3].map((k) => log.append(record(i + k))));
    const root = log.root();
    await log.close();
    const segs = readdirSync(dir).sort();
    expect(segs.length).toBeGreaterThan(2);
    expect(segs[0]).toBe(SEG0);
    expect(segs.slice(1).every((name) => Number(name.slice(0, 20)) % 4 === 0)).toBe(true);
    const again = await AuditLog.open(dir);
    expect(again.size).toBe(40);
    expect(again.root()).toEqual(root);
    await again.close();
    expect(await readRecords(dir)).toEqual(Array.from({ length: 40 }, (_, i) => record(i)));
  });
});

describe('AuditLog group commit and back-pressure', () => {
  it('writes many concurrent appends with few fdatasyncs', async () => {
    const log = await AuditLog.open(tempDir(), { maxBatch: 256 });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(record(i))));
    const stats = log.stats();
    expect(stats.records).toBe(1000);
    // 1000 records in batches of at most 256 is at least 4 batches; one fsync per record would be 1000.
    expect(stats.batches).toBeGreaterThanOrEqual(4);
    expect(stats.syncs).toBeLessThan(50);
    await log.close();
  });

  it('rejects at once with PCL_AUDIT_QUEUE_FULL beyond the queue bound, and keeps the accepted ones', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir, { maxQueue: 8 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => log.append(record(i))));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const full = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(8);
    expect(full).toHaveLength(42);
    for (const r of full) expect((r.reason as AuditError).code).toBe('PCL_AUDIT_QUEUE_FULL');
    // Once the queue drains, appends are accepted again.
    expect((await log.append(record(8))).index).toBe(8);
    await log.close();
    expect(await readRecords(dir)).toHaveLength(9);
  });

  it('fails closed on a disk error: the batch and every later append reject with PCL_AUDIT_DISK', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir, { maxSegmentBytes: 1 });
    await log.append(record(0));
    // The next batch must start segment 1; a directory in its place makes opening it fail for real.
    mkdirSync(join(dir, '00000000000000000001.seg'));
    await expect(log.append(record(1))).rejects.toMatchObject({ code: 'PCL_AUDIT_DISK' });
    await expect(log.append(record(2))).rejects.toMatchObject({ code: 'PCL_AUDIT_DISK' });
    expect(log.size).toBe(1);
    await log.close();
  });
});

describe('AuditLog recovery', () => {
  it('cuts a torn tail record and keeps everything before it', async () => {
    const dir = tempDir();
    await fill(dir, 20);
    const path = join(dir, SEG0);
    const full = statSync(path).size;
    // Cut the last record in half, as a crash mid-write would.
    truncateSync(path, full - 10);
    const log = await AuditLog.open(dir);
    expect(log.size).toBe(19);
    expect(log.stats().repairedBytes).toBe(full - 10 - statSync(path).size);
    expect(log.root()).toEqual(rootAt(19, Array.from({ length: 19 }, (_, i) => hashLeaf(record(i)))));
    expect((await log.append(record(19))).index).toBe(19);
    await log.close();
    expect(await readRecords(dir)).toEqual(Array.from({ length: 20 }, (_, i) => record(i)));
  });

  it('treats zeros after the last record (file grew, data never landed) as a torn tail', async () => {
    const dir = tempDir();
    await fill(dir, 5);
    const path = join(dir, SEG0);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(100)]));
    const log = await AuditLog.open(dir);
    expect(log.size).toBe(5);
    await log.close();
  });

  it('reports a flipped byte in the middle with its file, offset and record, and changes nothing', async () => {
    const dir = tempDir();
    await fill(dir, 20);
    const path = join(dir, SEG0);
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    const err = await openError(dir);
    expect(err.code).toBe('PCL_AUDIT_CORRUPT');
    expect(err.message).toMatch(/00000000000000000000\.seg at byte \d+ \(record \d+\)/);
    const offset = Number(/at byte (\d+)/.exec(err.message)?.[1]);
    expect(offset).toBeLessThanOrEqual(at);
    expect(offset).toBeGreaterThan(0);
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('reports a flipped length in the last segment instead of cutting the records after it', async () => {
    const dir = tempDir();
    await fill(dir, 20);
    const path = join(dir, SEG0);
    const bytes = readFileSync(path);
    const len0 = 44 + bytes.readUInt32BE(0);
    // Record 1 now claims to run far past the end of the file, like a torn write would.
    bytes[len0 + 1] = 0x0f;
    writeFileSync(path, bytes);
    const err = await openError(dir);
    expect(err.code).toBe('PCL_AUDIT_CORRUPT');
    expect(err.message).toContain(`at byte ${len0} (record 1): length checksum mismatch`);
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('reports a record removed from the middle as a broken chain', async () => {
    const dir = tempDir();
    await fill(dir, 3);
    const path = join(dir, SEG0);
    const bytes = readFileSync(path);
    const len0 = 44 + bytes.readUInt32BE(0);
    const len1 = 44 + bytes.readUInt32BE(len0);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, len0), bytes.subarray(len0 + len1)]));
    const err = await openError(dir);
    expect(err.code).toBe('PCL_AUDIT_CORRUPT');
    expect(err.message).toContain(`at byte ${len0} (record 1): chain hash`);
  });

  it('does not truncate a short earlier segment: that is corruption, not a torn tail', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(dir, { maxSegmentBytes: 1 });
    for (let i = 0; i < 3; i++) await log.append(record(i));
    await log.close();
    const path = join(dir, SEG0);
    truncateSync(path, statSync(path).size - 5);
    const err = await openError(dir);
    expect(err.code).toBe('PCL_AUDIT_CORRUPT');
    expect(err.message).toContain('segment ends inside a record');
  });
});
