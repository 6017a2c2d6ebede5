// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys only. The note text is signed as
// exact bytes, so parsing is strict: anything the spec does not allow is rejected rather than
// normalised, because two readers must never disagree about what a signature covered.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AuditError, quote } from '../errors.js';

/** A key that signs notes: an Ed25519 private KeyObject and the key name written in the note. */
export interface NoteSigner {
  name: string;
  privateKey: KeyObject;
}

/** A key that verifies notes: name, 32-bit key hash and Ed25519 public key. */
export interface NoteVerifier {
  name: string;
  keyHash: number;
  publicKey: KeyObject;
}

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
// As in golang.org/x/mod/sumdb/note: bounds what a hostile note can make us do.
const MAX_SIGNATURES = 100;
const MAX_NOTE_BYTES = 1 << 20;

/**
 * The key hash of a signed-note Ed25519 key: the first 4 bytes (big-endian) of
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
 *
 * @example
 * const id = noteKeyHash('audit.example/log', rawPublicKey); // e.g. 0x1f2e3d4c
 */
export function noteKeyHash(name: string, rawPublicKey: Uint8Array): number {
  const digest = createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, ALG_ED25519)).update(rawPublicKey).digest();
  return digest.readUInt32BE(0);
}

/**
 * A verifier for the public half of an Ed25519 key under `name`.
 *
 * @example
 * const verifier = noteVerifier('audit.example/log', createPublicKey(signer.privateKey));
 */
export function noteVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  checkKeyName(name);
  const raw = rawEd25519PublicKey(publicKey);
  return { name, keyHash: noteKeyHash(name, raw), publicKey };
}

/**
 * Formats a verifier as a note vkey: `<name>+<key hash hex>+<base64(0x01 ‖ public key)>`.
 *
 * @example
 * config.auditVerifierKey = formatVerifierKey(verifier);
 */
export function formatVerifierKey(verifier: NoteVerifier): string {
  const raw = rawEd25519PublicKey(verifier.publicKey);
  const hex = verifier.keyHash.toString(16).padStart(8, '0');
  return `${verifier.name}+${hex}+${Buffer.concat([Uint8Array.of(ALG_ED25519), raw]).toString('base64')}`;
}

/**
 * Parses a note vkey string; throws PCL_AUDIT_KEY_INVALID unless the stated hash matches the key.
 *
 * @example
 * const verifier = parseVerifierKey('audit.example/log+1f2e3d4c+AXzL…');
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = vkey.split('+');
  const [name, hex, b64] = parts;
  if (parts.length !== 3 || name === undefined || hex === undefined || b64 === undefined || !/^[0-9a-f]{8}$/.test(hex)) {
    throw new AuditError('PCL_AUDIT_KEY_INVALID', 'a verifier key is <name>+<8 lowercase hex digits>+<base64 key>');
  }
  checkKeyName(name);
  const key = decodeBase64(b64);
  if (key === undefined || key.length !== 33 || key[0] !== ALG_ED25519) {
    throw new AuditError('PCL_AUDIT_KEY_INVALID', `key ${quote(name)} is not an Ed25519 (type 0x01) key`);
  }
  const raw = key.subarray(1);
  if (noteKeyHash(name, raw) !== Number.parseInt(hex, 16)) {
    throw new AuditError('PCL_AUDIT_KEY_INVALID', `key hash ${hex} does not match key ${quote(name)}`);
  }
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
  return { name, keyHash: noteKeyHash(name, raw), publicKey };
}

/**
 * Ed25519 verification as every note check does it: false (never a throw) for any malformed input.
 *
 * @example
 * if (!ed25519Verify(publicKey, message, signature)) reject();
 */
export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * Signs note `text` (which must end in a newline and hold no blank line) and returns the full note.
 *
 * @example
 * const note = signNote('example.com/log\n5\nq6yr…=\n', signer);
 */
export function signNote(text: string, signer: NoteSigner): string {
  checkNoteText(text);
  const verifier = noteVerifier(signer.name, createPublicKey(signer.privateKey));
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  const hash = Buffer.alloc(4);
  hash.writeUInt32BE(verifier.keyHash, 0);
  return `${text}\n${SIG_PREFIX}${signer.name} ${Buffer.concat([hash, signature]).toString('base64')}\n`;
}

/**
 * Checks a note's signature by `verifier` and returns the signed text. Signatures by other keys are
 * ignored, as the spec requires; a signature by this key that fails is an error, not skipped.
 *
 * @example
 * const text = openNote(noteText, verifier);
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw malformed('note is larger than 1 MiB');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  checkNoteText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw malformed('the signature block does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);

  let verified = false;
  for (const line of lines) {
    const sig = parseSignatureLine(line);
    if (sig.name !== verifier.name || sig.keyHash !== verifier.keyHash) continue;
    if (!ed25519Verify(verifier.publicKey, Buffer.from(text, 'utf8'), sig.signature)) {
      throw new AuditError('PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE', `signature by ${quote(verifier.name)}`);
    }
    verified = true;
  }
  if (!verified) throw new AuditError('PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY', `wanted ${quote(verifier.name)}`);
  return text;
}

function parseSignatureLine(line: string): { name: string; keyHash: number; signature: Uint8Array } {
  if (!line.startsWith(SIG_PREFIX)) throw malformed(`signature line ${quote(line)} does not start with "— "`);
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const bytes = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || bytes === undefined || bytes.length < 5) throw malformed(`signature line ${quote(line)}`);
  return { name, keyHash: Buffer.from(bytes).readUInt32BE(0), signature: bytes.subarray(4) };
}

/** Note text: non-empty UTF-8 lines, each ending in newline, no blank line, no other control characters. */
function checkNoteText(text: string): void {
  if (!text.endsWith('\n')) throw malformed('the note text does not end with a newline');
  if (text.includes('\n\n') || text.startsWith('\n')) throw malformed('the note text holds a blank line');
  if (hasControlChars(text, true)) throw malformed('the note text holds control characters or invalid UTF-8');
}

function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControlChars(name, false);
}

/**
 * True if `text` holds a C0 control, DEL, U+FFFD or a lone surrogate. U+FFFD is refused because it is
 * what invalid UTF-8 decodes to: the bytes signed would not be the bytes we were sent.
 */
export function hasControlChars(text: string, allowNewline: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a && allowNewline) continue;
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function checkKeyName(name: string): void {
  if (!isKeyName(name)) throw new AuditError('PCL_AUDIT_KEY_INVALID', `key name ${quote(name)}`);
}

function rawEd25519PublicKey(publicKey: KeyObject): Uint8Array {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditError('PCL_AUDIT_KEY_INVALID', 'not an Ed25519 public key');
  }
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new AuditError('PCL_AUDIT_KEY_INVALID', 'Ed25519 key without x');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

/** Strict standard base64: canonical padding only, so one value has exactly one encoding. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

function malformed(detail: string): AuditError {
  return new AuditError('PCL_AUDIT_CHECKPOINT_MALFORMED', detail);
}
