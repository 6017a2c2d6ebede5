// RFC 6962 §2.1 hashing. The 0x00 / 0x01 prefixes keep a leaf from ever being passed off as an
// interior node (second-preimage resistance), so they are not optional.
import { createHash } from 'node:crypto';

/** Bytes in every hash this tree uses (SHA-256). */
export const HASH_SIZE = 32;

/** MTH({}) — the root of the empty tree, SHA-256 of no input. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash('sha256').digest());

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/**
 * The leaf hash of one record: SHA-256(0x00 ‖ record).
 *
 * @example
 * const leaf = hashLeaf(Buffer.from(JSON.stringify(event)));
 */
export function hashLeaf(record: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(LEAF_PREFIX).update(record).digest());
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 *
 * @example
 * const parent = hashChildren(leftHash, rightHash);
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest());
}

/** Byte-wise equality. Roots and proofs are public, so this need not be constant-time. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
