// Our engine as a bench peer: the workload compiled and indexed once into a PolicySet, the whole
// entity set in one MemoryEntityStore (as the gateway holds users and roles in memory), and each
// request built once up front, the way the gateway builds it once per HTTP request.

import type { Request } from '../../policy/eval/types.js';
import { PolicySet } from '../../policy/policy-set.js';
import { toCompiledPolicies, toEntityStore, toRequest } from '../../test/helpers/policy-gen.js';
import type { Peer } from './peers.js';
import type { BenchRequest, Workload } from './workload.js';

export interface OurPeer extends Peer {
  /** Mean number of policies evaluated per decision over `reqs` (the index's selectivity). */
  meanCandidates(reqs: readonly BenchRequest[]): number;
  /** Mean number of policies the index walked (before intersecting dimensions) per decision. */
  meanWalked(reqs: readonly BenchRequest[]): number;
}

export function ourPeer(w: Workload): OurPeer {
  const set = PolicySet.build(toCompiledPolicies({ policies: w.policies, templates: [], links: [] }));
  const store = toEntityStore(w.entities);
  const built = new Map<BenchRequest, Request>(w.requests.map((q) => [q, toRequest(q)]));
  const req = (q: BenchRequest): Request => {
    const r = built.get(q);
    if (r === undefined) throw new Error('request not from this workload');
    return r;
  };
  return {
    name: 'portcullis',
    decide: (q) => set.isAuthorized(req(q), store).decision === 'allow',
    reasons: (q) => [...set.isAuthorized(req(q), store).reasons].sort(),
    meanCandidates: (reqs) => reqs.reduce((n, q) => n + set.explain(req(q), store).evaluated, 0) / Math.max(1, reqs.length),
    meanWalked: (reqs) => reqs.reduce((n, q) => n + set.explain(req(q), store).walked, 0) / Math.max(1, reqs.length),
  };
}
