// The checkpoints file: every signed tree head the log has published, oldest first, so a verifier can
// later prove the log still extends each of them. Entries are only ever appended. Each is framed as
// `checkpoint <bytes>\n` + the signed note: the length makes splitting unambiguous even though a
// note holds a blank line of its own, and a torn last entry is recognisable as short.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signCheckpoint } from '../checkpoint/checkpoint.js';
import type { NoteSigner } from '../checkpoint/note.js';
import type { AuditLog } from '../log/log.js';

/** The checkpoints file inside a log directory. */
export const CHECKPOINTS_FILE = 'checkpoints';

const HEADER = /^checkpoint (0|[1-9][0-9]{0,7})$/;
// Longer than any note openNote accepts (1 MiB), so the header cannot make us slice absurd lengths.
const MAX_ENTRY_BYTES = 1 << 20;

/** What writeCheckpoint appended. */
export interface WrittenCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  note: string;
}

/**
 * Signs the log's current size and root and appends the note to `<dir>/checkpoints` (append +
 * fdatasync). The origin defaults to the signer's key name, as C2SP logs conventionally do.
 *
 * @example
 * await writeCheckpoint(log, '/var/lib/portcullis/audit', { name: 'portcullis.audit/prod', privateKey });
 */
export async function writeCheckpoint(log: AuditLog, dir: string, signer: NoteSigner, options: { origin?: string } = {}): Promise<WrittenCheckpoint> {
  const origin = options.origin ?? signer.name;
  // Size and root are read together synchronously, so they describe the same durable prefix.
  const size = log.size;
  const root = log.root();
  const note = signCheckpoint({ origin, size, root }, signer);
  const body = Buffer.from(note, 'utf8');
  const entry = Buffer.concat([Buffer.from(`checkpoint ${body.length}\n`, 'utf8'), body]);
  const fh = await open(join(dir, CHECKPOINTS_FILE), 'a');
  try {
    let written = 0;
    // Regular files rarely take a short write, but the rest must follow in order if one happens.
    while (written < entry.length) {
      const { bytesWritten } = await fh.write(entry, written);
      if (bytesWritten === 0) throw new Error('short write');
      written += bytesWritten;
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  return { origin, size, root, note };
}

/** One entry of the checkpoints file, or the reason it could not be split out. */
export type StoredCheckpoint = { kind: 'note'; index: number; offset: number; note: string } | { kind: 'bad'; index: number; offset: number; reason: string };

/** Splits `<dir>/checkpoints` into its entries; a missing file is an empty list. */
export async function readCheckpoints(dir: string): Promise<{ path: string; entries: StoredCheckpoint[] }> {
  const path = join(dir, CHECKPOINTS_FILE);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, entries: [] };
    throw err;
  }
  const entries: StoredCheckpoint[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const index = entries.length;
    const nl = buf.indexOf(0x0a, offset);
    const header = nl < 0 ? undefined : HEADER.exec(buf.subarray(offset, nl).toString('latin1'));
    const length = header?.[1] === undefined ? undefined : Number(header[1]);
    if (length === undefined || length > MAX_ENTRY_BYTES) {
      // Without a trustworthy length nothing after this point can be split reliably.
      entries.push({ kind: 'bad', index, offset, reason: 'entry header is not "checkpoint <bytes>"' });
      break;
    }
    const start = nl + 1;
    if (start + length > buf.length) {
      entries.push({ kind: 'bad', index, offset, reason: `entry of ${length} bytes runs past the end of the file` });
      break;
    }
    entries.push({ kind: 'note', index, offset, note: buf.subarray(start, start + length).toString('utf8') });
    offset = start + length;
  }
  return { path, entries };
}
