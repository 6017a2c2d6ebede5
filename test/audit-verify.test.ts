// Tamper detection against a real log on disk: every kind of edit the issue lists is made to the
// files themselves, and verifyLog must name it (with its position where there is one).
import { createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, CHECKPOINTS_FILE, checkpointVerifier, formatVerifierKey, readCheckpoints, verifyLog, writeCheckpoint, type NoteSigner } from '../audit/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-audit-verify-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Fixed Ed25519 seeds in their PKCS#8 DER wrapping, so keys are reproducible.
function keyFromSeed(seedByte: number): NoteSigner['privateKey'] {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
const signer: NoteSigner = { name: 'portcullis.audit/test', privateKey: keyFromSeed(3) };
const vkey = formatVerifierKey(checkpointVerifier(signer));

const record = (i: number): Buffer => Buffer.from(`{"i":${i},"pad":"${'x'.repeat(i * 3)}"}`);
const SEG0 = '00000000000000000000.seg';
// u32 length + u32 CRC + prev chain hash (32) + u32 CRC around each payload, as audit/log/frame.ts lays out.
const OVERHEAD = 44;
const offsetOf = (i: number): number => {
  let off = 0;
  for (let k = 0; k < i; k++) off += OVERHEAD + record(k).length;
  return off;
};

/** Ten records with checkpoints signed at sizes 3, 6 and 10. */
async function build(dir: string, change?: number): Promise<void> {
  const log = await AuditLog.open(dir);
  for (let i = 0; i < 10; i++) {
    await log.append(i === change ? Buffer.from('{"i":"rewritten"}') : record(i));
    if (change === undefined && (i === 2 || i === 5 || i === 9)) await writeCheckpoint(log, dir, signer);
  }
  await log.close();
}

function frames(dir: string): Buffer[] {
  const buf = readFileSync(join(dir, SEG0));
  return Array.from({ length: 10 }, (_, i) => buf.subarray(offsetOf(i), offsetOf(i + 1)));
}

describe('verifyLog', () => {
  it('passes a clean log, splits every checkpoint out and leaves the files untouched', async () => {
    const dir = tempDir();
    await build(dir);
    const before = readFileSync(join(dir, SEG0));
    const { entries } = await readCheckpoints(dir);
    expect(entries.map((e) => e.kind)).toEqual(['note', 'note', 'note']);
    expect(await verifyLog(dir, vkey)).toEqual({ ok: true, size: 10, checkpoints: 3, problems: [] });
    expect(readFileSync(join(dir, SEG0)).equals(before)).toBe(true);
  });

  it('reports a flipped byte with file, offset and record index', async () => {
    const dir = tempDir();
    await build(dir);
    const buf = readFileSync(join(dir, SEG0));
    const at = offsetOf(4) + 12;
    buf.writeUInt8((buf.readUInt8(at) ^ 0x01) & 0xff, at);
    writeFileSync(join(dir, SEG0), buf);
    const report = await verifyLog(dir, vkey);
    expect(report.ok).toBe(false);
    expect(report.size).toBe(4);
    expect(report.problems).toEqual([{ code: 'PCL_AUDIT_CORRUPT', message: expect.stringContaining('checksum mismatch'), position: { file: join(dir, SEG0), offset: offsetOf(4), index: 4 } }]);
  });

  it('reports a deleted record where the chain breaks', async () => {
    const dir = tempDir();
    await build(dir);
    const f = frames(dir);
    writeFileSync(join(dir, SEG0), Buffer.concat([...f.slice(0, 4), ...f.slice(5)]));
    const report = await verifyLog(dir, vkey);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ code: 'PCL_AUDIT_CORRUPT', position: { offset: offsetOf(4), index: 4 } });
    expect(report.problems[0]?.message).toContain('chain hash');
  });

  it('reports two swapped records', async () => {
    const dir = tempDir();
    await build(dir);
    const f = frames(dir);
    const swapped = [...f];
    [swapped[6], swapped[7]] = [f[7] as Buffer, f[6] as Buffer];
    writeFileSync(join(dir, SEG0), Buffer.concat(swapped));
    const report = await verifyLog(dir, vkey);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ code: 'PCL_AUDIT_CORRUPT', position: { offset: offsetOf(6), index: 6 } });
  });

  it('reports truncation below the last checkpoint, on a record boundary or inside a record', async () => {
    const dir = tempDir();
    await build(dir);
    truncateSync(join(dir, SEG0), offsetOf(8));
    const report = await verifyLog(dir, vkey);
    expect(report).toMatchObject({ ok: false, size: 8 });
    expect(report.problems.map((p) => p.code)).toEqual(['PCL_AUDIT_TRUNCATED']);
    expect(report.problems[0]?.position?.index).toBe(2);

    truncateSync(join(dir, SEG0), offsetOf(5) + 10);
    expect((await verifyLog(dir, vkey)).problems.map((p) => p.code)).toEqual(['PCL_AUDIT_TRUNCATED', 'PCL_AUDIT_TRUNCATED']);
  });

  it('catches a log rebuilt from altered records with a fresh, valid chain', async () => {
    const dir = tempDir();
    await build(dir);
    const forged = tempDir();
    await build(forged, 7);
    // The forged log is internally perfect: only the signed roots can tell.
    expect((await verifyLog(forged, vkey)).ok).toBe(true);
    copyFileSync(join(forged, SEG0), join(dir, SEG0));
    const report = await verifyLog(dir, vkey);
    expect(report.ok).toBe(false);
    expect(report.size).toBe(10);
    expect(report.problems.map((p) => [p.code, p.position?.index])).toEqual([
      ['PCL_AUDIT_CHECKPOINT_MISMATCH', 2],
      // The two older checkpoints still match the unchanged prefix, but no proof links the last one to them.
      ['PCL_AUDIT_CHECKPOINT_INCONSISTENT', 2],
    ]);
  });

  it('reports a checkpoint whose signature was altered, and one signed by another key', async () => {
    const dir = tempDir();
    await build(dir);
    const path = join(dir, CHECKPOINTS_FILE);
    const text = readFileSync(path, 'utf8');
    const sig = text.indexOf('\u2014 ', text.indexOf('\u2014 ') + 1) + 2 + signer.name.length + 1 + 20;
    writeFileSync(path, text.slice(0, sig) + (text[sig] === 'A' ? 'B' : 'A') + text.slice(sig + 1));
    const report = await verifyLog(dir, vkey);
    expect(report.problems.map((p) => [p.code, p.position?.index])).toEqual([['PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE', 1]]);

    const log = await AuditLog.open(dir);
    await writeCheckpoint(log, dir, { name: signer.name, privateKey: keyFromSeed(9) });
    await log.close();
    const again = await verifyLog(dir, vkey);
    expect(again.checkpoints).toBe(4);
    expect(again.problems.map((p) => [p.code, p.position?.index])).toEqual([
      ['PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE', 1],
      ['PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY', 3],
    ]);
  });
});
