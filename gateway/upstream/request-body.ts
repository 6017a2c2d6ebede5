// The incoming request body is handed to undici through a relay rather than directly, because undici
// destroys the body stream it was given whenever the upstream request fails. Destroying a Node
// IncomingMessage that has not been read to the end destroys the client's socket too, so the client
// would see a reset instead of our 502/503. With the relay, undici destroys only the relay; the source
// is merely unpiped and stays usable for the error response. Bytes still stream through; nothing is
// buffered beyond the two streams' high-water marks.
import { PassThrough, type Readable } from 'node:stream';

const kRelay = Symbol('portcullis.requestBodyRelay');

interface RelaySource extends Readable {
  [kRelay]?: PassThrough;
}

/** Wrap `source` so undici can consume and destroy the wrapper without touching the source. */
export function relayBody(source: Readable): Readable {
  const relay = new PassThrough();
  (source as RelaySource)[kRelay] = relay;
  // Shared listeners (no per-request closures): they find the relay through the symbol property.
  source.on('error', onSourceError);
  source.on('close', onSourceClose);
  source.pipe(relay);
  return relay;
}

/**
 * True when the request failed because of the client's side of the body: the source errored (client
 * aborted the upload, a body-limit transform refused it) or closed before its end.
 */
export function sourceFailed(source: Readable): boolean {
  return source.errored != null || (source.destroyed && !source.readableEnded);
}

// pipe() does not forward errors, so without this the upstream would wait for bytes that never come.
function onSourceError(this: RelaySource, err: Error): void {
  const relay = this[kRelay];
  if (relay !== undefined && !relay.destroyed) relay.destroy(err);
}

function onSourceClose(this: RelaySource): void {
  const relay = this[kRelay];
  if (relay === undefined || relay.destroyed || this.readableEnded) return;
  relay.destroy(this.errored ?? new Error('request body closed before it ended'));
}
