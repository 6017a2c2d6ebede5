// Request hygiene: everything decided about a request before routing. See each module for the why.
export { normalizeRequestTarget, encodePath, type NormalizedTarget, type HygieneRejection } from './path.js';
export { buildUpstreamHeaders, checkFraming, type UpstreamHeaderContext, type UpstreamHeaders } from './headers.js';
export {
  compileTrustedProxies,
  clientAddress,
  normalizeIp,
  requestIdFrom,
  InvalidTrustedProxyError,
  type TrustedProxies,
  type ClientAddress,
} from './forwarded.js';
export { xfccValue, certSha256, clientCertHeader, clientCertChainHeader, type XfccFields } from './client-cert.js';
