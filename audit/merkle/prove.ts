// Proof generation from leaf hashes, following RFC 6962 §2.1.1 (PATH) and §2.1.2 (SUBPROOF) so the
// output is exactly what transparency-dev/merkle's verifiers (and ours) expect. Each proof rehashes
// the subtrees it needs from leaf hashes: O(n) work, no stored interior nodes. Good enough for
// on-demand proofs; a node cache can sit behind `LeafHashes` later without changing the output.
import { AuditError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';

/** Leaf hashes of the log, by index: an array, or a function the log answers from its store. */
export type LeafHashes = readonly Uint8Array[] | ((index: number) => Uint8Array);

/**
 * The root MTH(D[0:size]) computed from leaf hashes.
 *
 * @example
 * const root = rootAt(5, leafHashes); // equals the CompactTree root after 5 appends
 */
export function rootAt(size: number, leaves: LeafHashes): Uint8Array {
  checkCount('size', size);
  if (size === 0) return Uint8Array.from(EMPTY_ROOT);
  return subtreeHash(reader(leaves), 0, size);
}

/**
 * The audit path for leaf `index` in the tree of `size` leaves, bottom-up (RFC 6962 PATH).
 *
 * @example
 * const proof = inclusionProof(3, tree.size, leafHashes);
 * verifyInclusion(leafHashes[3], 3, tree.size, proof, tree.root());
 */
export function inclusionProof(index: number, size: number, leaves: LeafHashes): Uint8Array[] {
  checkCount('index', index);
  checkCount('size', size);
  if (index >= size) throw new AuditError('PCL_AUDIT_PROOF_UNAVAILABLE', `index ${index} is not below size ${size}`);
  const get = reader(leaves);
  const proof: Uint8Array[] = [];
  // Walk down from the root; siblings are collected top-down, then reversed to the bottom-up order.
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index - lo < k) {
      proof.push(subtreeHash(get, lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(subtreeHash(get, lo, lo + k));
      lo += k;
    }
  }
  return proof.reverse();
}

/**
 * The proof that the tree of `size1` leaves is a prefix of the tree of `size2` leaves (RFC 6962
 * PROOF). Empty when the sizes are equal; there is none from the empty tree (0 < size1 <= size2).
 *
 * @example
 * const proof = consistencyProof(oldSize, tree.size, leafHashes);
 * verifyConsistency(oldSize, tree.size, proof, oldRoot, tree.root());
 */
export function consistencyProof(size1: number, size2: number, leaves: LeafHashes): Uint8Array[] {
  checkCount('size1', size1);
  checkCount('size2', size2);
  if (size1 === 0 || size1 > size2) {
    throw new AuditError('PCL_AUDIT_PROOF_UNAVAILABLE', `no consistency proof from size ${size1} to size ${size2}`);
  }
  const get = reader(leaves);
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[lo:hi], b), unrolled: `complete` is b, true while D[0:m] is still a left edge.
  let m = size1;
  let lo = 0;
  let hi = size2;
  let complete = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      proof.push(subtreeHash(get, lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(subtreeHash(get, lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(subtreeHash(get, lo, hi));
  return proof.reverse();
}

function reader(leaves: LeafHashes): (index: number) => Uint8Array {
  const get = typeof leaves === 'function' ? leaves : (i: number): Uint8Array | undefined => leaves[i];
  return (i) => {
    const h = get(i);
    if (h === undefined || h.length !== HASH_SIZE) {
      throw new AuditError('PCL_AUDIT_PROOF_UNAVAILABLE', `leaf hash ${i} is missing or not ${HASH_SIZE} bytes`);
    }
    return h;
  };
}

/** MTH(D[lo:hi]) for hi > lo. Recursion depth is log2(hi - lo). */
function subtreeHash(get: (index: number) => Uint8Array, lo: number, hi: number): Uint8Array {
  if (hi - lo === 1) return get(lo);
  const k = splitPoint(hi - lo);
  return hashChildren(subtreeHash(get, lo, lo + k), subtreeHash(get, lo + k, hi));
}

/** The largest power of two strictly below n (n >= 2), where RFC 6962 splits a tree. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `${what} ${String(value)}`);
}
