// The public surface of audit/. Everything a caller may rely on is exported here and nowhere else.
export { AUDIT_ERRORS, AuditError } from './errors.js';
export type { AuditErrorCode, AuditErrorSpec } from './errors.js';
export { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf } from './merkle/hash.js';
export { CompactTree } from './merkle/compact.js';
export { consistencyProof, inclusionProof, rootAt } from './merkle/prove.js';
export type { LeafHashes } from './merkle/prove.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './merkle/verify.js';
export type { TreeIndex } from './merkle/verify.js';
export { checkpointVerifier, formatCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint/checkpoint.js';
export type { Checkpoint } from './checkpoint/checkpoint.js';
export { ed25519Verify, formatVerifierKey, noteKeyHash, noteVerifier, openNote, parseVerifierKey, signNote } from './checkpoint/note.js';
export type { NoteSigner, NoteVerifier } from './checkpoint/note.js';
