// Public surface of the gateway module.
export { startGateway, createLogger } from './gateway.js';
export type { RunningGateway, StartOptions } from './gateway.js';
export { GatewayError, GATEWAY_ERRORS, errorBody } from './errors.js';
export type { GatewayErrorCode } from './errors.js';
export type { GatewayConfig } from './config/types.js';
