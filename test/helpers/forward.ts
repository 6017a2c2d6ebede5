// Shared pieces of the upstream suites: a ForwardRequest with test defaults, and reading a body.
import type { ForwardRequest, ForwardResponse } from '../../gateway/upstream/index.js';

/** A GET to `/` with no body; `over` replaces any field. */
export function forwardRequest(defaults: { retries: number; connectMs: number; headersMs: number; bodyMs: number }, over: Partial<ForwardRequest> = {}): ForwardRequest {
  return {
    method: 'GET',
    path: '/',
    headers: {},
    body: null,
    idempotent: true,
    retries: defaults.retries,
    timeouts: { connectMs: defaults.connectMs, headersMs: defaults.headersMs, bodyMs: defaults.bodyMs },
    ...over,
  };
}

/** The whole response body as text. */
export async function bodyText(res: ForwardResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}
