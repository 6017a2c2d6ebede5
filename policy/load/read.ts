// File system access for loading: find the `*.cedar` files under a directory and read files with a
// size limit enforced while reading (a size from stat can lie: /dev/zero, a file still growing).

import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadError, PolicyLoadError, type PolicyLoadIssue } from '../errors.js';
import { tooLargeIssue } from './decode.js';
import type { SourceInput } from './types.js';

/** Most `*.cedar` files a directory may hold, and deepest subdirectory nesting walked. */
export const MAX_POLICY_FILES = 10_000;
const MAX_DIR_DEPTH = 32;

function readFailure(path: string, err: unknown): PolicyLoadError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const reason =
    code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read it (${code || 'unknown error'})`;
  return loadError('PCL_POLICY_READ', path, reason, 'Check the path and that this user may read it.');
}

/**
 * Reads a whole file, refusing it (PCL_POLICY_TOO_LARGE) as soon as it passes `maxBytes`, without
 * reading the rest. `name` is the stable name recorded in the result (see SourceInput).
 */
export async function readInputFile(path: string, maxBytes: number, name = basename(path)): Promise<SourceInput> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  if (info.isDirectory()) throw readFailure(path, { code: 'EISDIR' });
  // Checked before opening: opening a FIFO would block until something writes to it.
  if (!info.isFile()) throw loadError('PCL_POLICY_READ', path, 'is not a regular file', 'Give the path of a regular file.');
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw readFailure(path, err);
  }
  try {
    const opened = await handle.stat();
    if (opened.size > maxBytes) throw new PolicyLoadError([tooLargeIssue(path, opened.size, maxBytes)]);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      chunks.push(chunk.subarray(0, bytesRead));
      if (total > maxBytes) throw new PolicyLoadError([tooLargeIssue(path, total, maxBytes)]);
    }
    return { file: path, name, content: new Uint8Array(Buffer.concat(chunks, total)) };
  } catch (err) {
    if (err instanceof PolicyLoadError) throw err;
    throw readFailure(path, err);
  } finally {
    await handle.close();
  }
}

/**
 * The `*.cedar` files under `dir`, recursively, as paths relative to it with `/` separators, sorted as
 * plain strings. Entries starting with `.` are skipped (editor swap files, `.git`, and the `..data`
 * directories of Kubernetes ConfigMap volumes, whose files also appear as symlinks at the top).
 * Symlinks to files are followed; symlinks to directories are not, so a link cycle cannot loop.
 */
export async function listPolicyFiles(dir: string, maxFiles = MAX_POLICY_FILES): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DIR_DEPTH) throw loadError('PCL_POLICY_READ', join(dir, rel), `directories nest more than ${MAX_DIR_DEPTH} levels`, 'Flatten the policy directory.');
    let entries;
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      throw readFailure(join(dir, rel), err);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(childRel, depth + 1);
        continue;
      }
      if (!entry.name.endsWith('.cedar')) continue;
      const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(join(dir, childRel)).then((s) => s.isFile(), () => false)));
      if (!isFile) continue;
      found.push(childRel);
      if (found.length > maxFiles) throw loadError('PCL_POLICY_TOO_LARGE', dir, `more than ${maxFiles} policy files`, 'Merge policies into fewer files, or raise the limit if this is intended.');
    }
  };
  await walk('', 0);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The policy sources at `path`: the file itself, or every `*.cedar` file under the directory (at
 * least one, or PCL_POLICY_EMPTY: an empty policy set would deny every request).
 */
export async function readPolicySources(path: string, maxBytes: number, maxFiles = MAX_POLICY_FILES): Promise<SourceInput[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  if (!info.isDirectory()) return [await readInputFile(path, maxBytes)];
  const names = await listPolicyFiles(path, maxFiles);
  if (names.length === 0) throw loadError('PCL_POLICY_EMPTY', path, 'no *.cedar files in this directory', 'Put policies in files ending in .cedar (subdirectories are read too).');
  // One at a time (thousands of open files would hit EMFILE), but all of them before failing, so one
  // run reports every oversized or unreadable file.
  const sources: SourceInput[] = [];
  const issues: PolicyLoadIssue[] = [];
  for (const name of names) {
    try {
      sources.push(await readInputFile(join(path, name), maxBytes, name));
    } catch (err) {
      issues.push(...(err instanceof PolicyLoadError ? err.issues : readFailure(join(path, name), err).issues));
    }
  }
  if (issues.length > 0) throw new PolicyLoadError(issues);
  return sources;
}
