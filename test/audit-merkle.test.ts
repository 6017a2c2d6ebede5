// Runs every transparency-dev/merkle vector through our verifiers, then checks that every proof our
// generator produces verifies and that any corrupted byte makes it fail.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditError,
  CompactTree,
  EMPTY_ROOT,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from '../audit/index.js';

const VECTORS = join(process.cwd(), '..', 'shared', 'testdata', 'merkle', 'testdata');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
    });
}

// Sizes in the vectors reach 2^64-1, beyond a JS number: read integer fields as bigint from the text.
function bigField(text: string, field: string): bigint {
  const m = new RegExp(`"${field}"\\s*:\\s*(\\d+)`).exec(text);
  if (m?.[1] === undefined) throw new Error(`vector has no ${field}`);
  return BigInt(m[1]);
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const proofOf = (p: unknown): Uint8Array[] => (Array.isArray(p) ? p.map((s) => b64(String(s))) : []);

function outcome(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    // Any failure must be one of ours with a stable code, never a TypeError from bad indexing.
    expect(err).toBeInstanceOf(AuditError);
    expect(['PCL_AUDIT_PROOF_INVALID', 'PCL_AUDIT_BAD_ARGUMENT']).toContain((err as AuditError).code);
    return false;
  }
}

describe('transparency-dev/merkle vectors', () => {
  it('inclusion: every vector gives the expected result', () => {
    const files = jsonFiles(join(VECTORS, 'inclusion'));
    let pos = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const v = JSON.parse(text) as { root: string; leafHash: string; proof: string[] | null; wantErr: boolean };
      const ok = outcome(() => verifyInclusion(b64(v.leafHash), bigField(text, 'leafIdx'), bigField(text, 'treeSize'), proofOf(v.proof), b64(v.root)));
      expect(ok, relative(VECTORS, file)).toBe(!v.wantErr);
      if (ok) pos++;
    }
    console.log(`inclusion vectors run: ${files.length} (${pos} valid, ${files.length - pos} invalid)`);
    expect(files.length).toBeGreaterThan(50);
  });

  it('consistency: every vector gives the expected result', () => {
    const files = jsonFiles(join(VECTORS, 'consistency'));
    let pos = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const v = JSON.parse(text) as { root1: string; root2: string; proof: string[] | null; wantErr: boolean };
      const ok = outcome(() => verifyConsistency(bigField(text, 'size1'), bigField(text, 'size2'), proofOf(v.proof), b64(v.root1), b64(v.root2)));
      expect(ok, relative(VECTORS, file)).toBe(!v.wantErr);
      if (ok) pos++;
    }
    console.log(`consistency vectors run: ${files.length} (${pos} valid, ${files.length - pos} invalid)`);
    expect(files.length).toBeGreaterThan(50);
  });
});

describe('hashing and the compact tree', () => {
  it('uses the RFC 6962 prefixes and the SHA-256 empty root', () => {
    expect(Buffer.from(EMPTY_ROOT).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // The well-known RFC 6962 leaf hash of the empty record.
    expect(Buffer.from(hashLeaf(new Uint8Array())).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it('matches the recursive root at every size, and restores from its border', () => {
    const leaves: Uint8Array[] = [];
    const tree = new CompactTree();
    expect(tree.root()).toEqual(EMPTY_ROOT);
    for (let i = 0; i < 70; i++) {
      const leaf = hashLeaf(Buffer.from(`record ${i}`));
      leaves.push(leaf);
      expect(tree.append(leaf)).toBe(i);
      expect(tree.root(), `size ${i + 1}`).toEqual(rootAt(i + 1, leaves));
    }
    const restored = CompactTree.fromBorder(tree.size, tree.hashes());
    const next = hashLeaf(Buffer.from('next'));
    restored.append(next);
    tree.append(next);
    expect(restored.root()).toEqual(tree.root());
    expect(rootAt(3, leaves)).toEqual(hashChildren(hashChildren(leaves[0]!, leaves[1]!), leaves[2]!));
  });

  it('rejects bad leaf hashes, bad borders and impossible proof requests with stable codes', () => {
    const tree = new CompactTree();
    expect(() => tree.append(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_BAD_ARGUMENT' }));
    expect(() => CompactTree.fromBorder(3, [EMPTY_ROOT])).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_BAD_ARGUMENT' }));
    const leaves = [hashLeaf(Buffer.from('a')), hashLeaf(Buffer.from('b'))];
    expect(() => inclusionProof(2, 2, leaves)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_PROOF_UNAVAILABLE' }));
    expect(() => inclusionProof(0, 3, leaves)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_PROOF_UNAVAILABLE' }));
    expect(() => consistencyProof(0, 2, leaves)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_PROOF_UNAVAILABLE' }));
    expect(() => consistencyProof(2, 1, leaves)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_PROOF_UNAVAILABLE' }));
    expect(consistencyProof(2, 2, leaves)).toEqual([]);
    expect(() => verifyInclusion(leaves[0]!, -1, 2, [], EMPTY_ROOT)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_BAD_ARGUMENT' }));
    expect(() => verifyInclusion(leaves[0]!, 0, 1n << 64n, [], EMPTY_ROOT)).toThrow(expect.objectContaining({ code: 'PCL_AUDIT_BAD_ARGUMENT' }));
  });
});

describe('property: generated proofs verify and any flipped byte fails', () => {
  function flips(proof: Uint8Array[]): Uint8Array[][] {
    // One variant per proof hash, each with a random byte flipped, to keep the run short.
    return proof.map((_, i) => {
      const copy = proof.map((h) => Uint8Array.from(h));
      const target = copy[i]!;
      const at = Math.floor(Math.random() * target.length);
      target[at] = target[at]! ^ (1 + Math.floor(Math.random() * 255));
      return copy;
    });
  }

  it('for random trees up to 300 leaves', () => {
    let checked = 0;
    for (let round = 0; round < 12; round++) {
      const n = round === 0 ? 300 : 1 + Math.floor(Math.random() * 300);
      const leaves = Array.from({ length: n }, () => hashLeaf(randomBytes(16)));
      const tree = new CompactTree();
      const roots: Uint8Array[] = [EMPTY_ROOT];
      for (const leaf of leaves) {
        tree.append(leaf);
        roots.push(tree.root());
      }
      for (let index = 0; index < n; index++) {
        const size = index + 1 + Math.floor(Math.random() * (n - index));
        const proof = inclusionProof(index, size, (i) => leaves[i]!);
        verifyInclusion(leaves[index]!, index, size, proof, roots[size]!);
        for (const bad of flips(proof)) expect(outcome(() => verifyInclusion(leaves[index]!, index, size, bad, roots[size]!))).toBe(false);
        const badLeaf = Uint8Array.from(leaves[index]!);
        badLeaf[0] = badLeaf[0]! ^ 1;
        expect(outcome(() => verifyInclusion(badLeaf, index, size, proof, roots[size]!))).toBe(false);
        checked++;
      }
      for (let k = 0; k < 60; k++) {
        const size1 = 1 + Math.floor(Math.random() * n);
        const size2 = size1 + Math.floor(Math.random() * (n - size1 + 1));
        const proof = consistencyProof(size1, size2, leaves);
        verifyConsistency(size1, size2, proof, roots[size1]!, roots[size2]!);
        for (const bad of flips(proof)) expect(outcome(() => verifyConsistency(size1, size2, bad, roots[size1]!, roots[size2]!))).toBe(false);
        if (size1 < size2) {
          const badRoot = Uint8Array.from(roots[size1]!);
          badRoot[31] = badRoot[31]! ^ 0x80;
          expect(outcome(() => verifyConsistency(size1, size2, proof, badRoot, roots[size2]!))).toBe(false);
        }
        checked++;
      }
    }
    // Exhaustive for small trees: every index and every size pair.
    const small = Array.from({ length: 17 }, (_, i) => hashLeaf(Buffer.from([i])));
    for (let size = 1; size <= 17; size++) {
      for (let index = 0; index < size; index++) verifyInclusion(small[index]!, index, size, inclusionProof(index, size, small), rootAt(size, small));
      for (let size1 = 1; size1 <= size; size1++) verifyConsistency(size1, size, consistencyProof(size1, size, small), rootAt(size1, small), rootAt(size, small));
    }
    console.log(`property proofs checked: ${checked}`);
  });
});
