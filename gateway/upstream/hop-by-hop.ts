// Hop-by-hop headers describe one connection, not the message (RFC 9110 §7.6.1). Forwarding them would
// let one side steer the other side's connection handling (keep-alive, upgrades, framing), so the
// proxy drops them in both directions.

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The fixed hop-by-hop names, lower-case. `proxy-*` is matched by prefix separately. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade'] as const;

const P = 0x70; // 'p': cheap first-character test before the `proxy-` prefix check

/**
 * Remove the fixed hop-by-hop headers and every `proxy-*` header, in place. Does NOT honour names listed
 * in `Connection`: on the request side the gateway adds its own identity headers after reading the
 * client's, and a client must not be able to name them in `Connection` to have them dropped.
 *
 * @example stripFixedHopByHop(headers) // before handing client headers to undici
 */
export function stripFixedHopByHop(headers: HeaderMap): void {
  for (let i = 0; i < HOP_BY_HOP.length; i++) {
    const name = HOP_BY_HOP[i] as string;
    if (headers[name] !== undefined) delete headers[name];
  }
  for (const name in headers) {
    if (name.charCodeAt(0) === P && name.startsWith('proxy-')) delete headers[name];
  }
}

/**
 * Remove every hop-by-hop header from an upstream response, in place: the fixed set, `proxy-*`, and the
 * headers the upstream itself named in `Connection`. Header names must already be lower-case (undici's
 * parsed headers are).
 *
 * @example stripHopByHop(res.headers) // before returning an upstream response to the client
 */
export function stripHopByHop(headers: HeaderMap): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    const lists = typeof connection === 'string' ? [connection] : connection;
    for (const list of lists) {
      for (const token of list.split(',')) {
        const name = token.trim().toLowerCase();
        if (name !== '' && headers[name] !== undefined) delete headers[name];
      }
    }
  }
  stripFixedHopByHop(headers);
}
