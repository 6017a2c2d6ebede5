// Every error audit/ raises is declared here, with its stable code, the HTTP status an API should map
// it to, and what the caller should do next. Messages may quote sizes, indices and key names, never
// private key material.

export interface AuditErrorSpec {
  status: number;
  message: string;
  hint: string;
}

/**
 * Every audit/ error code with its HTTP status, message and hint; the one place a status is chosen.
 *
 * @example
 * reply.code(AUDIT_ERRORS[err.code].status);
 */
export const AUDIT_ERRORS = {
  // Merkle proofs.
  PCL_AUDIT_BAD_ARGUMENT: { status: 400, message: 'A tree size or leaf index is not a whole number in the uint64 range.', hint: 'Pass non-negative integers (number or bigint) below 2^64.' },
  PCL_AUDIT_PROOF_INVALID: { status: 422, message: 'The Merkle proof does not verify.', hint: 'Treat the log as untrusted for this range; fetch the proof again from the log and compare checkpoints.' },
  PCL_AUDIT_PROOF_UNAVAILABLE: { status: 400, message: 'No proof exists for these sizes or this index.', hint: 'Ask for 0 <= index < size <= the tree size, and 0 < size1 <= size2 for consistency.' },

  // Signed checkpoints.
  PCL_AUDIT_CHECKPOINT_MALFORMED: { status: 400, message: 'The checkpoint is not a well-formed signed note.', hint: 'Send the checkpoint text exactly as the log wrote it (origin, size, base64 root, blank line, signature lines).' },
  PCL_AUDIT_CHECKPOINT_UNKNOWN_KEY: { status: 401, message: 'The checkpoint carries no signature from the expected key.', hint: 'Check that the verifier key names the log that wrote this checkpoint.' },
  PCL_AUDIT_CHECKPOINT_BAD_SIGNATURE: { status: 401, message: 'The checkpoint signature does not verify.', hint: 'The checkpoint was altered or signed by another key; do not trust it.' },
  PCL_AUDIT_KEY_INVALID: { status: 400, message: 'The signing or verifier key is not usable.', hint: 'Use an Ed25519 key and a key name without spaces or "+".' },

  // The append-only log.
  PCL_AUDIT_QUEUE_FULL: { status: 503, message: 'The audit log write queue is full.', hint: 'Refuse the audited request (fail closed) and retry later; the disk is slower than the request rate.' },
  PCL_AUDIT_DISK: { status: 503, message: 'The audit log cannot be written.', hint: 'Refuse audited requests, fix the disk (space, permissions, I/O errors) and reopen the log; nothing after the last acknowledged record was kept.' },
  PCL_AUDIT_CLOSED: { status: 503, message: 'The audit log is closed.', hint: 'Open the log again before appending.' },
  PCL_AUDIT_RECORD_INVALID: { status: 400, message: 'The audit record is empty or too large.', hint: 'Append a non-empty Buffer no larger than maxRecordBytes.' },
  PCL_AUDIT_CORRUPT: { status: 500, message: 'The audit log on disk is damaged before its last record.', hint: 'Do not truncate it: restore the segment from a replica or backup and compare it with the last signed checkpoint.' },

  // Verifying a log against its signed checkpoints.
  PCL_AUDIT_TRUNCATED: { status: 500, message: 'The audit log holds fewer records than a signed checkpoint says it had.', hint: 'Records were removed from the end; restore the log from a replica or backup covering the last checkpoint.' },
  PCL_AUDIT_CHECKPOINT_MISMATCH: { status: 500, message: 'The audit log does not match a checkpoint it signed.', hint: 'The log was rewritten (even with a valid chain) or the checkpoint belongs to another log; restore the log from a replica or backup.' },
  PCL_AUDIT_CHECKPOINT_INCONSISTENT: { status: 500, message: 'A newer checkpoint does not extend an older one.', hint: 'The log history was forked or rolled back; compare both checkpoints with those held by witnesses or replicas.' },

  // Events. Details name the field and the rule broken, never the value: it may be a sensitive plaintext.
  PCL_AUDIT_EVENT_INVALID: { status: 400, message: 'The audit event is not valid.', hint: 'Fix the named field; see audit/event/validate.ts for the limits.' },
  PCL_AUDIT_EVENT_CONFIG_INVALID: { status: 500, message: 'The audit event redaction settings are not usable.', hint: 'Use an HMAC key of at least 32 random bytes and sensitive paths such as "source" or "details.email".' },
  PCL_AUDIT_RECORD_MALFORMED: { status: 500, message: 'A stored audit record is not a valid canonical event.', hint: 'The record was damaged or altered on disk; verify the log against its last signed checkpoint.' },
} as const satisfies Record<string, AuditErrorSpec>;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

/**
 * The one error class audit/ throws. `code` is stable and safe to match on; `message` is the spec's
 * message, the offending detail if any, and the hint.
 *
 * @example
 * try {
 *   verifyInclusion(leaf, 3, 8, proof, root);
 * } catch (err) {
 *   if (err instanceof AuditError && err.code === 'PCL_AUDIT_PROOF_INVALID') alarm(err.message);
 * }
 */
export class AuditError extends Error {
  readonly code: AuditErrorCode;
  readonly status: number;
  readonly hint: string;

  constructor(code: AuditErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec: AuditErrorSpec = AUDIT_ERRORS[code];
    super(detail === undefined ? `${spec.message} ${spec.hint}` : `${spec.message} ${detail}. ${spec.hint}`, options);
    this.name = 'AuditError';
    this.code = code;
    this.status = spec.status;
    this.hint = spec.hint;
  }
}

/** Quotes untrusted text for an error message: bounded length, control characters escaped. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
