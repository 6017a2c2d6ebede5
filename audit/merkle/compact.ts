// The "right border" of a growing tree: one perfect-subtree root per set bit of the size, biggest
// (leftmost) first, as in transparency-dev/merkle `compact`. Appending merges equal-sized neighbours
// like a binary carry, so an append is O(log n) hashes and the log never re-reads old leaves.
import { AuditError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';

/**
 * An append-only RFC 6962 tree that keeps only O(log n) hashes.
 *
 * @example
 * const tree = new CompactTree();
 * tree.append(hashLeaf(record));
 * const { size, root } = { size: tree.size, root: tree.root() };
 */
export class CompactTree {
  #size = 0;
  // Roots of the perfect subtrees that make up the tree, in leaf order (largest first).
  readonly #border: Uint8Array[] = [];

  /** Restores a tree from `size` and the border `hashes()` returned at that size. */
  static fromBorder(size: number, hashes: readonly Uint8Array[]): CompactTree {
    if (!Number.isSafeInteger(size) || size < 0) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `size ${size}`);
    if (popCount(size) !== hashes.length || hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `a tree of size ${size} needs ${popCount(size)} border hashes of ${HASH_SIZE} bytes`);
    }
    const tree = new CompactTree();
    tree.#size = size;
    for (const h of hashes) tree.#border.push(Uint8Array.from(h));
    return tree;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash (see `hashLeaf`); returns the new leaf's index. */
  append(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_SIZE) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', `leaf hash of ${leafHash.length} bytes`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new AuditError('PCL_AUDIT_BAD_ARGUMENT', 'tree is full');
    const index = this.#size;
    let node: Uint8Array = Uint8Array.from(leafHash);
    // Each trailing 1 bit of the old size is a perfect subtree the same height as `node`: merge it.
    for (let s = index; s % 2 === 1; s = Math.floor(s / 2)) {
      const left = this.#border.pop();
      if (left === undefined) throw new Error('compact tree border out of step with its size');
      node = hashChildren(left, node);
    }
    this.#border.push(node);
    this.#size = index + 1;
    return index;
  }

  /** The tree head MTH(D[0:size]): the border folded right to left; EMPTY_ROOT when empty. */
  root(): Uint8Array {
    const last = this.#border.length - 1;
    if (last < 0) return Uint8Array.from(EMPTY_ROOT);
    let acc = this.#border[last] as Uint8Array;
    for (let i = last - 1; i >= 0; i--) acc = hashChildren(this.#border[i] as Uint8Array, acc);
    return acc;
  }

  /** Copies of the border hashes, to persist alongside `size` and restore with `fromBorder`. */
  hashes(): Uint8Array[] {
    return this.#border.map((h) => Uint8Array.from(h));
  }
}

function popCount(n: number): number {
  let count = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}
