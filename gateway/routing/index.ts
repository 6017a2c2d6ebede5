// Routing: compiled once per config load, one lookup per request. See router.ts for precedence.
export { compileRouter, stripSegments, RouterConfigError, type Router, type RouteMatch, type RouteMiss } from './router.js';
