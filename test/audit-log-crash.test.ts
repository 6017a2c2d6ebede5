// The durability promise under a real crash: a child process appends at full speed and prints each
// acknowledged index; it is SIGKILLed at a random moment, and every acknowledged record must then be
// on disk with its exact bytes, the chain must verify, and the log must accept appends again.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, hashLeaf, recoverLog, rootAt } from '../audit/index.js';
import { appenderPayload } from './helpers/audit-appender.js';

const APPENDER = join(process.cwd(), 'test', 'helpers', 'audit-appender.ts');
const base = mkdtempSync(join(tmpdir(), 'pcl-audit-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs the appender until it says ready, kills it `delayMs` later, returns the indices it acknowledged. */
function appendThenKill(dir: string, delayMs: number): Promise<{ start: number; acked: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (killTimer === undefined && out.includes('\n')) killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`appender exited on its own: ${err}`));
      // Only whole lines count: a line cut by the kill was never fully reported.
      const lines = out.slice(0, out.lastIndexOf('\n')).split('\n');
      const ready = /^ready (\d+)$/.exec(lines.shift() ?? '');
      if (ready?.[1] === undefined) return reject(new Error(`appender never became ready: ${err}`));
      resolve({ start: Number(ready[1]), acked: lines.map(Number) });
    });
  });
}

describe('AuditLog crash safety', () => {
  it('keeps every acknowledged record across 20 SIGKILLs at random moments', { timeout: 60_000 }, async () => {
    let previousSize = 0;
    let totalAcked = 0;
    let totalRecords = 0;
    const started = Date.now();
    for (let run = 0; run < 20; run++) {
      // Each directory takes four crashes in a row (recovery after recovery), then a fresh one keeps
      // the per-run verification small enough for the time budget.
      const dir = join(base, `log-${Math.floor(run / 4)}`);
      if (run % 4 === 0) previousSize = 0;
      const { start, acked } = await appendThenKill(dir, 20 + Math.floor(Math.random() * 180));
      // Recovery of the previous crash kept at least what that run acknowledged.
      expect(start).toBeGreaterThanOrEqual(previousSize);
      totalAcked += acked.length;

      const payloads: Buffer[] = [];
      const recovered = await recoverLog(dir, 1024 * 1024, (index, payload) => {
        payloads[index] = Buffer.from(payload);
      });
      const lost = acked.filter((index) => payloads[index]?.equals(appenderPayload(index)) !== true);
      expect(lost, `acknowledged records missing or altered after run ${run}`).toEqual([]);
      const size = recovered.leafHashes.length;
      // Unacknowledged records that did reach the disk are fine, but they must be the right ones.
      const wrong = payloads.flatMap((payload, index) => (payload.equals(appenderPayload(index)) ? [] : [index]));
      expect(wrong).toEqual([]);

      const log = await AuditLog.open(dir);
      expect(log.size).toBe(size);
      expect(log.root()).toEqual(rootAt(size, payloads.map((p) => hashLeaf(p))));
      await log.close();
      if (run % 4 === 3) totalRecords += size;
      previousSize = size;
    }
    // The kills must have landed mid-stream, or this proved nothing.
    expect(totalAcked).toBeGreaterThan(0);
    console.log(`crash test: ${totalAcked} acknowledged, ${totalRecords} records, ${Date.now() - started} ms`);
  });
});
