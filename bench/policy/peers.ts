// The two peers of the policy bench, each set up the way its own documentation recommends for a
// hot path: cedar-wasm with the policy set preparsed once (statefulIsAuthorized) and only the
// request's entity slice passed per call; node-casbin with the model and policy loaded once and the
// synchronous enforcer.

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { toCedarWasmPolicySet } from '../../test/helpers/policy-gen.js';
import type { BenchRequest, Workload } from './workload.js';

export interface Peer {
  readonly name: string;
  /** true = allow. Must not throw for a well-formed request. */
  decide(req: BenchRequest): boolean;
  /** Policy ids that made the decision (only engines that report reasons). */
  reasons?(req: BenchRequest): string[];
}

let cedarSetSeq = 0;

export function cedarWasmPeer(w: Workload): Peer {
  // Ids are process-unique: preparsed sets live in wasm thread-local storage for the process life.
  const id = `bench-${w.policies.length}-${cedarSetSeq++}`;
  const parsed = cedar.preparsePolicySet(id, toCedarWasmPolicySet({ policies: w.policies, templates: [], links: [] }));
  if (parsed.type !== 'success') throw new Error(`cedar-wasm rejected the workload: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const call = (req: BenchRequest) => {
    const a = cedar.statefulIsAuthorized({
      principal: req.principal, action: req.action, resource: req.resource, context: req.context,
      preparsedPolicySetId: id, entities: req.slice,
    });
    if (a.type !== 'success') throw new Error(`cedar-wasm failed: ${a.errors.map((e) => e.message).join('; ')}`);
    return a.response;
  };
  return {
    name: 'cedar-wasm',
    decide: (req) => call(req).decision === 'allow',
    reasons: (req) => [...call(req).diagnostics.reason].sort(),
  };
}

export async function casbinPeer(w: Workload): Promise<Peer> {
  const enforcer = await newEnforcer(newModelFromString(w.casbinModel), new StringAdapter(w.casbinPolicy));
  return { name: 'casbin', decide: (req) => enforcer.enforceSync(...req.casbin) };
}
