// The bytes of an event: what the log hashes and appends, and the only way back in from disk. Reading
// accepts exactly the canonical encoding, so a record has one valid byte string and any edit to it
// (reordered keys, whitespace, duplicate keys, "1.0" for 1) is reported instead of silently normalized.
import { AuditError } from '../errors.js';
import type { AuditErrorCode } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { EVENT_LIMITS, validateEvent, type AuditEvent, type JsonValue } from './validate.js';

// Events made by createEvent or parseEvent are frozen and already checked; remembering their text
// spares the hot path a second validation and a second encoding.
const encoded = new WeakMap<AuditEvent, string>();

/** Encodes a validated event, enforcing the record size bound, and remembers the text. */
export function encodeEvent(event: AuditEvent, code: AuditErrorCode): string {
  const text = canonicalJson(event as unknown as JsonValue);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > EVENT_LIMITS.record) {
    throw new AuditError(code, `the serialized event is ${bytes} bytes, over the ${EVENT_LIMITS.record}-byte limit; shrink "details"`);
  }
  encoded.set(event, text);
  return text;
}

/**
 * The canonical record for an event: UTF-8 JSON, keys sorted, no whitespace. The same event always
 * gives the same bytes. An event not built by createEvent or parseEvent is validated first.
 *
 * @example
 * const record = serializeEvent(createEvent(input, options));
 * await log.append(record);
 */
export function serializeEvent(event: AuditEvent): Buffer {
  const text = encoded.get(event) ?? encodeEvent(validateEvent(event, 'PCL_AUDIT_EVENT_INVALID'), 'PCL_AUDIT_EVENT_INVALID');
  return Buffer.from(text, 'utf8');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads one record back from untrusted storage. Throws AuditError PCL_AUDIT_RECORD_MALFORMED, naming
 * the field, unless `record` is exactly the canonical encoding of a valid v1 event.
 *
 * @example
 * const event = parseEvent(await readRecord(segment, offset));
 */
export function parseEvent(record: Uint8Array): AuditEvent {
  const code = 'PCL_AUDIT_RECORD_MALFORMED';
  if (!(record instanceof Uint8Array)) throw new AuditError(code, 'the record must be bytes');
  if (record.byteLength > EVENT_LIMITS.record) throw new AuditError(code, `the record is ${record.byteLength} bytes, over the ${EVENT_LIMITS.record}-byte limit`);
  let text: string;
  try {
    text = utf8.decode(record);
  } catch (cause) {
    throw new AuditError(code, 'the record is not valid UTF-8', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the record's bytes, which we keep out of errors.
    throw new AuditError(code, 'the record is not valid JSON');
  }
  const event = validateEvent(value, code);
  if (encodeEvent(event, code) !== text) {
    encoded.delete(event);
    throw new AuditError(code, 'the record is not in canonical form (key order, whitespace, number or string encoding, or duplicate keys)');
  }
  return event;
}
