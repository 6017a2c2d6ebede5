// The v1 event schema and the one check of it. Both createEvent (trusted code, possibly careless) and
// parseEvent (a hostile disk) go through validateEvent, so a record the log writes is exactly a record
// the log will read back. Errors name the field and the rule, never the value: it may be a plaintext
// that was about to be HMAC'd.
import { AuditError, quote, type AuditErrorCode } from '../errors.js';

export type ActorType = 'user' | 'service' | 'anonymous' | 'system' | 'node';
export type Decision = 'allow' | 'deny' | 'error' | 'info';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface Actor {
  readonly type: ActorType;
  /** Empty only for `anonymous`, where there is no one to name. */
  readonly id: string;
}

/** One audit event, schema version 1. Produced by createEvent or parseEvent, deeply frozen. */
export interface AuditEvent {
  readonly v: 1;
  /** ULID; sorts in creation order, even within one millisecond. */
  readonly id: string;
  /** UTC, `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly time: string;
  readonly actor: Actor;
  /** Dotted namespace and verb, e.g. `authz.decide`, `auth.login`, `admin.change`, `kms.unwrap`. */
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  readonly reasons: readonly string[];
  readonly requestId: string;
  /** Client address, or `hmac-sha256:<hex>` when configured as sensitive. */
  readonly source: string;
  readonly tlsIdentity?: string;
  readonly details: Readonly<JsonObject>;
}

/** Limits, exported so callers and tests can quote them instead of guessing. */
export const EVENT_LIMITS = {
  actorId: 256,
  action: 64,
  resource: 2048,
  reasons: 32,
  reason: 512,
  requestId: 128,
  source: 256,
  tlsIdentity: 1024,
  detailsDepth: 8,
  detailsNodes: 1024,
  detailsKey: 128,
  detailsString: 4096,
  /** Bytes of the whole canonical record; the log may rely on it to size buffers. */
  record: 65536,
} as const;

export const ACTOR_TYPES: readonly ActorType[] = ['user', 'service', 'anonymous', 'system', 'node'];
export const DECISIONS: readonly Decision[] = ['allow', 'deny', 'error', 'info'];

const EVENT_KEYS = new Set(['v', 'id', 'time', 'actor', 'action', 'resource', 'decision', 'reasons', 'requestId', 'source', 'tlsIdentity', 'details']);
const ACTOR_KEYS = new Set(['type', 'id']);

// Crockford base32, and a first character of at most 7 so the 48-bit time fits.
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ACTION = /^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)+$/;
// C0/C1 controls, line/paragraph separators and bidi overrides: each can forge or hide a line when
// the field is printed to a terminal or a text log.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// With the u flag a valid pair is one code point, so this only matches lone surrogates, which have
// no UTF-8 encoding and would not survive the round trip through bytes.
const LONE_SURROGATE = /\p{Cs}/u;

function fail(code: AuditErrorCode, field: string, rule: string): never {
  throw new AuditError(code, `${quote(field)} ${rule}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(code: AuditErrorCode, field: string, value: Record<string, unknown>, allowed: Set<string>): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) fail(code, field === '' ? key : `${field}.${key}`, 'is not a field of a v1 event');
  }
}

/** A bounded, printable string: the rule for every top-level string and each reason. */
function checkText(code: AuditErrorCode, field: string, value: unknown, max: number, allowEmpty = false): string {
  if (typeof value !== 'string') fail(code, field, 'must be a string');
  if (value.length === 0 && !allowEmpty) fail(code, field, 'must not be empty');
  if (value.length > max) fail(code, field, `is longer than ${max} characters`);
  if (UNPRINTABLE.test(value)) fail(code, field, 'contains a control or bidi character');
  if (LONE_SURROGATE.test(value)) fail(code, field, 'contains a lone surrogate');
  return value;
}

/**
 * Copies `value` as a frozen plain JSON object, enforcing depth, node, key and string bounds. The copy
 * means getters run once and later mutation of the caller's object cannot change what gets logged.
 */
function copyJson(code: AuditErrorCode, field: string, value: unknown, depth: number, budget: { nodes: number }): JsonValue {
  if (--budget.nodes < 0) fail(code, 'details', `has more than ${EVENT_LIMITS.detailsNodes} values`);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(code, field, 'must be a finite number');
    // -0 serializes as 0; normalizing here keeps the event equal to its own parsed record.
    return value === 0 ? 0 : value;
  }
  if (typeof value === 'string') {
    if (value.length > EVENT_LIMITS.detailsString) fail(code, field, `is longer than ${EVENT_LIMITS.detailsString} characters`);
    if (LONE_SURROGATE.test(value)) fail(code, field, 'contains a lone surrogate');
    return value;
  }
  if (depth >= EVENT_LIMITS.detailsDepth) fail(code, field, `nests deeper than ${EVENT_LIMITS.detailsDepth} levels`);
  if (Array.isArray(value)) {
    // Frozen at run time; the type stays mutable so JsonValue needs no readonly-array variant.
    return Object.freeze(value.map((item, i) => copyJson(code, `${field}[${i}]`, item, depth + 1, budget))) as JsonValue[];
  }
  if (!isPlainObject(value)) fail(code, field, 'must be a plain JSON value (object, array, string, finite number, boolean or null)');
  const entries: [string, JsonValue][] = [];
  for (const key of Object.keys(value)) {
    const path = `${field}.${key}`;
    if (key.length > EVENT_LIMITS.detailsKey) fail(code, `${field}.${key.slice(0, 32)}…`, `key is longer than ${EVENT_LIMITS.detailsKey} characters`);
    if (UNPRINTABLE.test(key) || LONE_SURROGATE.test(key)) fail(code, field, 'has a key with a control character or lone surrogate');
    entries.push([key, copyJson(code, path, value[key], depth + 1, budget)]);
  }
  // fromEntries defines own data properties, so a "__proto__" key from JSON stays data, not a prototype.
  return Object.freeze(Object.fromEntries(entries));
}

/** Validates and copies a details object; shared with createEvent before and after redaction. */
export function copyDetails(code: AuditErrorCode, value: unknown): Readonly<JsonObject> {
  if (!isPlainObject(value)) fail(code, 'details', 'must be a plain JSON object');
  return copyJson(code, 'details', value, 0, { nodes: EVENT_LIMITS.detailsNodes }) as Readonly<JsonObject>;
}

export function checkActor(code: AuditErrorCode, value: unknown): Actor {
  if (!isPlainObject(value)) fail(code, 'actor', 'must be an object { type, id }');
  checkKeys(code, 'actor', value, ACTOR_KEYS);
  const type = value.type;
  if (typeof type !== 'string' || !(ACTOR_TYPES as readonly string[]).includes(type)) fail(code, 'actor.type', `must be one of ${ACTOR_TYPES.join(', ')}`);
  const id = checkText(code, 'actor.id', value.id, EVENT_LIMITS.actorId, type === 'anonymous');
  return Object.freeze({ type: type as ActorType, id });
}

export function checkAction(code: AuditErrorCode, value: unknown): string {
  const action = checkText(code, 'action', value, EVENT_LIMITS.action);
  if (!ACTION.test(action)) fail(code, 'action', 'must be dotted lower-case words, e.g. "authz.decide"');
  return action;
}

export function checkDecision(code: AuditErrorCode, value: unknown): Decision {
  if (typeof value !== 'string' || !(DECISIONS as readonly string[]).includes(value)) fail(code, 'decision', `must be one of ${DECISIONS.join(', ')}`);
  return value as Decision;
}

export function checkReasons(code: AuditErrorCode, value: unknown): readonly string[] {
  if (!Array.isArray(value)) fail(code, 'reasons', 'must be an array of strings');
  if (value.length > EVENT_LIMITS.reasons) fail(code, 'reasons', `has more than ${EVENT_LIMITS.reasons} entries`);
  return Object.freeze(value.map((reason: unknown, i) => checkText(code, `reasons[${i}]`, reason, EVENT_LIMITS.reason)));
}

export function checkId(code: AuditErrorCode, value: unknown): string {
  if (typeof value !== 'string' || !ULID.test(value)) fail(code, 'id', 'must be a 26-character upper-case ULID');
  return value;
}

export function checkTime(code: AuditErrorCode, value: unknown): string {
  // The round trip through Date rejects well-shaped impossible dates such as month 13 or Feb 30.
  if (typeof value !== 'string' || !TIME.test(value) || Number.isNaN(Date.parse(value)) || new Date(value).toISOString() !== value) {
    fail(code, 'time', 'must be a UTC timestamp YYYY-MM-DDTHH:mm:ss.sssZ');
  }
  return value;
}

/** The caller-supplied strings, shared by createEvent's input check and the full event check. */
export function checkRequestId(code: AuditErrorCode, value: unknown): string {
  return checkText(code, 'requestId', value, EVENT_LIMITS.requestId);
}
export function checkResource(code: AuditErrorCode, value: unknown): string {
  return checkText(code, 'resource', value, EVENT_LIMITS.resource);
}
export function checkSource(code: AuditErrorCode, value: unknown): string {
  return checkText(code, 'source', value, EVENT_LIMITS.source);
}
export function checkTlsIdentity(code: AuditErrorCode, value: unknown): string | undefined {
  return value === undefined ? undefined : checkText(code, 'tlsIdentity', value, EVENT_LIMITS.tlsIdentity);
}

/**
 * Checks that `value` is a complete v1 event and returns a frozen copy; `code` is the error to raise
 * (PCL_AUDIT_EVENT_INVALID for our own objects, PCL_AUDIT_RECORD_MALFORMED for bytes from disk).
 *
 * @example
 * const event = validateEvent(JSON.parse(text), 'PCL_AUDIT_RECORD_MALFORMED');
 */
export function validateEvent(value: unknown, code: AuditErrorCode): AuditEvent {
  if (!isPlainObject(value)) fail(code, 'event', 'must be a JSON object');
  checkKeys(code, '', value, EVENT_KEYS);
  if (value.v !== 1) fail(code, 'v', 'must be 1 (the only schema version this build reads)');
  const event: AuditEvent = {
    v: 1,
    id: checkId(code, value.id),
    time: checkTime(code, value.time),
    actor: checkActor(code, value.actor),
    action: checkAction(code, value.action),
    resource: checkResource(code, value.resource),
    decision: checkDecision(code, value.decision),
    reasons: checkReasons(code, value.reasons),
    requestId: checkRequestId(code, value.requestId),
    source: checkSource(code, value.source),
    details: copyDetails(code, value.details),
  };
  const tlsIdentity = checkTlsIdentity(code, value.tlsIdentity);
  return Object.freeze(tlsIdentity === undefined ? event : { ...event, tlsIdentity });
}
