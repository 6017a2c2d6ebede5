// Crash-safe file primitives for the PKI directory. A revocation that was acknowledged must survive a
// crash, and a crash must never leave a half-written index, so every write is temp file + fsync +
// rename + directory fsync, and every read-modify-write happens under a lock file.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PkiError, quote } from './errors.js';

export const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  index: 'index.json',
  crlNumber: 'crlnumber',
  lock: '.lock',
  archive: 'archive',
} as const;

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function ioError(action: string, path: string, err: unknown): PkiError {
  const code = typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  return new PkiError('PCL_PKI_IO', `Could not ${action} ${quote(path)}${code === undefined ? '' : ` (${code})`}`, { cause: err });
}

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a mix, and
 * the new content is on disk before this resolves. `exclusive` refuses to replace an existing file.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // The temp file is created with its final mode, so a key is never readable by others, even briefly.
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, opts.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (opts.exclusive === true) {
      // link() fails if the target exists, atomically; a stat-then-rename check would race.
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (isErrno(err, 'EEXIST')) throw new PkiError('PCL_PKI_OUT_EXISTS', `Found ${quote(path)}`);
    throw ioError('write', path, err);
  }
  await syncDir(dir);
}

/** Makes a rename durable: on Linux the new directory entry is only safe once the directory is fsynced. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows, a few network filesystems) cannot fsync a directory; the data itself is synced.
    if (!isErrno(err, 'EISDIR') && !isErrno(err, 'EPERM') && !isErrno(err, 'EINVAL') && !isErrno(err, 'EACCES')) throw ioError('sync', dir, err);
  } finally {
    await handle?.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw ioError('stat', path, err);
  }
}

/** The file's text, or `undefined` when it does not exist. Other failures are PCL_PKI_IO. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw ioError('read', path, err);
  }
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError('create', dir, err);
  }
}

export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    throw ioError('move', from, err);
  }
}

const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 20;

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/**
 * Runs `fn` while holding `<dir>/.lock`, so two CLI invocations cannot both read the index, each add
 * a revocation, and have the second write drop the first. A lock left by a process that no longer
 * exists on this host is taken over; a live holder is waited for, up to 10 s (PCL_PKI_LOCKED).
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(dir, FILES.lock);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw ioError('lock', dir, err);
    }
    const holder = Number.parseInt((await readTextIfExists(lockPath)) ?? '', 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !pidIsAlive(holder)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new PkiError('PCL_PKI_LOCKED', `Lock file ${quote(lockPath)}`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
