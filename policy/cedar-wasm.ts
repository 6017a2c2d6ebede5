// The one place policy/ calls into cedar-wasm, so there is one answer to "what if the engine itself
// fails". Input is screened before it gets here (lexer.ts limits, the schema nesting limit), but a
// failure is still possible and comes in two kinds: a wasm trap (its stack overflowed or it panicked)
// and a JS-side error (stack or serde recursion limit). After either, the instance may fail on every
// later input (a trap corrupts its memory; a JS stack overflow unwinding through wasm frames leaks its
// shadow stack), so it is replaced by a fresh one before the error is reported: one bad input never
// breaks policy loading for the rest of the process.

import * as cedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import { createRequire } from 'node:module';
import { PolicyError } from './errors.js';

export type CedarWasm = typeof cedarWasm;

let cedar: CedarWasm = cedarWasm;
const loadModule = createRequire(import.meta.url);

/** Evaluates the module again, bypassing Node's module cache on purpose, for a new wasm instance. */
function freshInstance(): CedarWasm {
  const path = loadModule.resolve('@cedar-policy/cedar-wasm/nodejs');
  delete loadModule.cache[path];
  return loadModule(path) as CedarWasm;
}

/**
 * Runs one cedar-wasm call. When the engine throws, it is replaced and a PolicyError is thrown:
 * PCL_POLICY_ENGINE for a trap (screening let through something the engine cannot take: a bug to
 * report) or PCL_POLICY_TOO_COMPLEX for a JS-side stack or recursion error (the input is too big).
 * Answers of type "failure" (syntax errors and the like) are returned as they are.
 *
 * @example
 * const answer = callCedar((c) => c.policyToJson('permit(principal, action, resource);'));
 */
export function callCedar<T>(call: (engine: CedarWasm) => T): T {
  try {
    return call(cedar);
  } catch (err) {
    cedar = freshInstance();
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    // WebAssembly.RuntimeError: out-of-bounds memory after a stack overflow, or a Rust panic.
    if (err instanceof Error && err.name === 'RuntimeError') {
      throw new PolicyError('PCL_POLICY_ENGINE', `the Cedar engine failed (${message}) and was replaced by a fresh instance`, { cause: err });
    }
    throw new PolicyError('PCL_POLICY_TOO_COMPLEX', `the Cedar engine could not process this input (${message})`, { cause: err });
  }
}
