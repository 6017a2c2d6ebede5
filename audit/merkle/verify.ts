// Proof verification, a line-for-line port of transparency-dev/merkle `proof` (verify.go) so that
// edge cases (empty trees, equal sizes, proofs of the wrong length) are decided the same way. Sizes
// are handled as bigint because proofs arrive from outside and may name any uint64.
import { AuditError } from '../errors.js';
import { HASH_SIZE, bytesEqual, hashChildren } from './hash.js';

/** A tree size or leaf index: a non-negative integer below 2^64. */
export type TreeIndex = number | bigint;

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`.
 * Returns nothing; throws AuditError PCL_AUDIT_PROOF_INVALID (or PCL_AUDIT_BAD_ARGUMENT).
 *
 * @example
 * verifyInclusion(hashLeaf(record), 3, checkpoint.size, proof, checkpoint.root);
 */
export function verifyInclusion(leafHash: Uint8Array, index: TreeIndex, size: TreeIndex, proof: readonly Uint8Array[], root: Uint8Array): void {
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(computed, root)) throw invalid('computed root does not match the expected root');
}

/**
 * The root implied by an inclusion proof; throws PCL_AUDIT_PROOF_INVALID if the shape is wrong.
 *
 * @example
 * const root = rootFromInclusionProof(leaf, 0, 1, []); // equals leaf
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: TreeIndex, size: TreeIndex, proof: readonly Uint8Array[]): Uint8Array {
  const idx = toUint64('index', index);
  const sz = toUint64('size', size);
  if (idx >= sz) throw invalid(`index ${idx} is not below size ${sz}`);
  if (leafHash.length !== HASH_SIZE) throw invalid(`leaf hash has ${leafHash.length} bytes, want ${HASH_SIZE}`);
  const { inner, border } = decompose(idx, sz);
  if (proof.length !== inner + border) throw invalid(`proof has ${proof.length} hashes, want ${inner + border}`);
  const res = chainInner(leafHash, proof.slice(0, inner), idx);
  return chainBorderRight(res, proof.slice(inner));
}

/**
 * Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2` leaves
 * with root `root2`. As in transparency-dev, a proof from the empty tree is rejected as meaningless.
 * Throws AuditError PCL_AUDIT_PROOF_INVALID (or PCL_AUDIT_BAD_ARGUMENT).
 *
 * @example
 * verifyConsistency(old.size, latest.size, proof, old.root, latest.root);
 */
export function verifyConsistency(size1: TreeIndex, size2: TreeIndex, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  const s1 = toUint64('size1', size1);
  const s2 = toUint64('size2', size2);
  if (s2 < s1) throw invalid(`size2 ${s2} is below size1 ${s1}`);
  if (s1 === 0n) throw invalid('a consistency proof from the empty tree is meaningless');
  if (s1 === s2) {
    if (proof.length > 0) throw invalid('sizes are equal but the proof is not empty');
    if (!bytesEqual(root1, root2)) throw invalid('sizes are equal but the roots differ');
    return;
  }
  if (proof.length === 0) throw invalid('proof is empty');

  const decomp = decompose(s1 - 1n, s2);
  const shift = trailingZeros(s1);
  // shift < inner whenever size1 < size2, so this never goes negative.
  const inner = decomp.inner - shift;
  // The proof starts with the root of the 2^shift subtree holding leaf size1-1, unless that subtree
  // is the whole old tree, whose root the verifier already has.
  let seed = proof[0] as Uint8Array;
  let start = 1;
  if (s1 === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  }
  if (proof.length !== start + inner + decomp.border) {
    throw invalid(`proof has ${proof.length} hashes, want ${start + inner + decomp.border}`);
  }
  const rest = proof.slice(start);
  const mask = (s1 - 1n) >> BigInt(shift);

  const hash1 = chainBorderRight(chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!bytesEqual(hash1, root1)) throw invalid('proof does not match root1');
  const hash2 = chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!bytesEqual(hash2, root2)) throw invalid('proof does not match root2');
}

/** Splits a proof for `index` into the part below where its path leaves the right border, and the rest. */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: popCount(index >> BigInt(inner)) };
}

function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  let acc = seed;
  proof.forEach((h, i) => {
    acc = ((index >> BigInt(i)) & 1n) === 0n ? hashChildren(acc, h) : hashChildren(h, acc);
  });
  return acc;
}

function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  let acc = seed;
  proof.forEach((h, i) => {
    if (((index >> BigInt(i)) & 1n) === 1n) acc = hashChildren(h, acc);
  });
  return acc;
}

function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let acc = seed;
  for (const h of proof) acc = hashChildren(h, acc);
  return acc;
}

function toUint64(what: string, value: TreeIndex): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `${what} ${String(value)}`);
  const v = BigInt(value);
  if (v < 0n || v > UINT64_MAX) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `${what} ${v}`);
  return v;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function popCount(x: bigint): number {
  let count = 0;
  for (const c of x.toString(2)) if (c === '1') count++;
  return count;
}

function trailingZeros(x: bigint): number {
  let n = 0;
  for (let v = x; v > 0n && (v & 1n) === 0n; v >>= 1n) n++;
  return n;
}

function invalid(detail: string): AuditError {
  return new AuditError('PCL_AUDIT_PROOF_INVALID', detail);
}
