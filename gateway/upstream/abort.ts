// A one-shot "the client went away" signal for one proxied request. undici accepts any emitter with
// once/removeListener('abort') as a request signal; this is that, without the EventTarget machinery of
// an AbortController, which measured as one of the largest per-request costs on the proxy path.

type AbortListener = () => void;

/** What `forward` accepts as a signal: an AbortSignal, or a ClientAbort. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export class ClientAbort implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private listener: AbortListener | undefined = undefined;

  /** undici checks for `on` to recognise an emitter, then registers exactly one listener with `once`. */
  on(event: 'abort', listener: AbortListener): this {
    return this.once(event, listener);
  }

  once(event: 'abort', listener: AbortListener): this {
    if (event === 'abort') this.listener = listener;
    return this;
  }

  removeListener(event: 'abort', listener: AbortListener): this {
    if (event === 'abort' && this.listener === listener) this.listener = undefined;
    return this;
  }

  abort(reason: unknown = new Error('client closed the connection')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}
