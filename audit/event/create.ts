// Building an event from a caller's input: check every field, stamp id and time, HMAC the sensitive
// fields. The only place plaintext of a sensitive field is held, so errors raised here never quote values.
import { randomInt } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { AuditError } from '../errors.js';
import { encodeEvent } from './record.js';
import { checkHmacKey, lookupHmac, parseSensitivePaths, redactDetails, type HmacKey } from './redact.js';
import {
  checkAction,
  checkActor,
  checkDecision,
  checkReasons,
  checkRequestId,
  checkResource,
  checkSource,
  checkTlsIdentity,
  copyDetails,
  type Actor,
  type ActorType,
  type AuditEvent,
  type Decision,
  type JsonObject,
} from './validate.js';

export interface EventInput {
  actor: { type: ActorType; id: string };
  action: string;
  resource: string;
  decision: Decision;
  reasons?: readonly string[];
  requestId: string;
  source: string;
  tlsIdentity?: string;
  details?: JsonObject;
}

export interface CreateEventOptions {
  /** Epoch milliseconds; defaults to Date.now. Injected by tests and by replay tools. */
  now?: () => number;
  /** The per-log HMAC secret for sensitive fields. */
  hmacKey: HmacKey;
  /** Paths to replace by their HMAC: `actor.id`, `resource`, `requestId`, `source`, `tlsIdentity`, `details.<key>[.<key>…]`. */
  sensitive: readonly string[];
}

// One factory per process so ids are strictly increasing across every event it creates: within a
// millisecond (or if the clock steps back) the factory increments the previous id's random part.
// The ulid package cannot find node:crypto from ESM, so it gets an unbiased CSPRNG digit source.
const nextId = monotonicFactory(() => randomInt(32) / 32);

// 9999-12-31T23:59:59.999Z: the last instant a four-digit ISO year can write.
const MAX_TIME = 253402300799999;

/**
 * Validates `input`, stamps a ULID and UTC time, and replaces each sensitive field by
 * `hmac-sha256:<hex>`. Throws AuditError PCL_AUDIT_EVENT_INVALID naming the bad field, or
 * PCL_AUDIT_EVENT_CONFIG_INVALID for an unusable key, path list or clock.
 *
 * @example
 * const event = createEvent(
 *   { actor: { type: 'user', id: 'u-42' }, action: 'auth.login', resource: '/login', decision: 'deny',
 *     reasons: ['bad password'], requestId: req.id, source: req.ip, details: { username } },
 *   { hmacKey, sensitive: ['source', 'details.username'] },
 * );
 */
export function createEvent(input: EventInput, options: CreateEventOptions): AuditEvent {
  const code = 'PCL_AUDIT_EVENT_INVALID';
  const key = checkHmacKey(options.hmacKey);
  const sensitive = parseSensitivePaths(options.sensitive);
  if (input === null || typeof input !== 'object') throw new AuditError(code, '"event" must be an object');

  const actor = checkActor(code, input.actor);
  const action = checkAction(code, input.action);
  const decision = checkDecision(code, input.decision);
  const reasons = checkReasons(code, input.reasons ?? []);
  let resource = checkResource(code, input.resource);
  let requestId = checkRequestId(code, input.requestId);
  let source = checkSource(code, input.source);
  let tlsIdentity = checkTlsIdentity(code, input.tlsIdentity);
  let details = copyDetails(code, input.details ?? {});

  const time = (options.now ?? Date.now)();
  if (!Number.isSafeInteger(time) || time < 0 || time > MAX_TIME) {
    throw new AuditError('PCL_AUDIT_EVENT_CONFIG_INVALID', 'now() must return whole epoch milliseconds between 1970 and 9999');
  }

  const hide = (field: string, value: string): string => (sensitive.topLevel.has(field) ? lookupHmac(value, key) : value);
  const redactedActor: Actor = sensitive.topLevel.has('actor.id') ? Object.freeze({ type: actor.type, id: lookupHmac(actor.id, key) }) : actor;
  resource = hide('resource', resource);
  requestId = hide('requestId', requestId);
  source = hide('source', source);
  if (tlsIdentity !== undefined) tlsIdentity = hide('tlsIdentity', tlsIdentity);
  for (const path of sensitive.details) details = redactDetails(details, path, key);

  const event: AuditEvent = Object.freeze({
    v: 1,
    id: nextId(time),
    time: new Date(time).toISOString(),
    actor: redactedActor,
    action,
    resource,
    decision,
    reasons,
    requestId,
    source,
    ...(tlsIdentity === undefined ? {} : { tlsIdentity }),
    details,
  });
  encodeEvent(event, code);
  return event;
}
