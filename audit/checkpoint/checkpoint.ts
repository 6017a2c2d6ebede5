// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed statement "log <origin> had
// <size> leaves with root <root>". The body is built and parsed here; signing is note.ts's job.
import { createPublicKey } from 'node:crypto';
import { AuditError, quote } from '../errors.js';
import { HASH_SIZE } from '../merkle/hash.js';
import { decodeBase64, hasControlChars, noteVerifier, openNote, parseVerifierKey, signNote, type NoteSigner, type NoteVerifier } from './note.js';

/** A tree head: the log's origin line, its size in leaves and its RFC 6962 root hash. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** Extension lines after the root, kept verbatim; empty for checkpoints we write. */
  extensions?: string[];
}

/**
 * The unsigned checkpoint body: origin, decimal size, base64 root, extension lines, each + newline.
 *
 * @example
 * formatCheckpoint({ origin: 'audit.example/log', size: 5, root }); // 'audit.example/log\n5\n…=\n'
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  if (origin.length === 0 || hasControlChars(origin, false)) throw malformed(`origin ${quote(origin)}`);
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`size ${String(size)}`);
  if (root.length !== HASH_SIZE) throw malformed(`root of ${root.length} bytes`);
  for (const line of extensions) if (line.length === 0 || hasControlChars(line, false)) throw malformed(`extension line ${quote(line)}`);
  return [origin, String(size), Buffer.from(root).toString('base64'), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * Signs a checkpoint and returns the complete signed note text.
 *
 * @example
 * const note = signCheckpoint({ origin: 'audit.example/log', size: tree.size, root: tree.root() }, signer);
 */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), signer);
}

/**
 * Verifies a signed checkpoint by `verifier` (a NoteVerifier or a vkey string) and returns it parsed.
 * Throws AuditError PCL_AUDIT_CHECKPOINT_MALFORMED / _UNKNOWN_KEY / _BAD_SIGNATURE.
 *
 * @example
 * const { origin, size, root } = verifyCheckpoint(noteText, 'audit.example/log+1f2e3d4c+AXzL…');
 * if (origin !== 'audit.example/log') throw new Error('checkpoint from another log');
 */
export function verifyCheckpoint(note: string, verifier: NoteVerifier | string): Checkpoint {
  const key = typeof verifier === 'string' ? parseVerifierKey(verifier) : verifier;
  return parseCheckpoint(openNote(note, key));
}

/** The verifier matching a signer, for tests and for publishing the log's vkey. */
export function checkpointVerifier(signer: NoteSigner): NoteVerifier {
  return noteVerifier(signer.name, createPublicKey(signer.privateKey));
}

function parseCheckpoint(text: string): Checkpoint {
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined || origin.length === 0) {
    throw malformed('a checkpoint needs an origin, a size and a root line');
  }
  // Canonical decimal only, and within what this log can hold as a JS number.
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw malformed(`size ${quote(sizeText)}`);
  const root = decodeBase64(rootText);
  if (root === undefined || root.length !== HASH_SIZE) throw malformed(`root ${quote(rootText)} is not base64 of ${HASH_SIZE} bytes`);
  return { origin, size: Number(sizeText), root, extensions };
}

function malformed(detail: string): AuditError {
  return new AuditError('PCL_AUDIT_CHECKPOINT_MALFORMED', detail);
}
