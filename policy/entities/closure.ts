// Transitive closure of the parent relation, computed once per entity set so that `in` is one Set
// lookup per request. Cedar requires the hierarchy to be a DAG: a cycle is reported with its path
// instead of being followed forever. Iterative (no recursion), so a long parent chain cannot overflow
// the stack, and bounded in total size so hostile data cannot exhaust memory.

import { PolicyError } from '../errors.js';
import type { EntityUID } from '../values/index.js';

/** Upper bound on the sum of all ancestor-set sizes (a chain of n entities needs n²/2). */
export const MAX_CLOSURE_ENTRIES = 20_000_000;

/** An ancestor set shared by every entity without parents. */
export const NO_ANCESTORS: ReadonlySet<string> = new Set<string>();

/** What the closure needs to know about an entity: its key and its direct parents. */
export interface ParentLinks {
  readonly uid: EntityUID;
  readonly parents: readonly EntityUID[];
}

/**
 * For every entity, the keys of all its transitive ancestors (entities not in `nodes` are leaves:
 * they count as ancestors but contribute none of their own). `known` supplies ancestor sets of
 * entities outside `nodes` (an underlying store being extended).
 *
 * @example
 * const anc = computeAncestors(new Map([[a.key, { uid: a, parents: [b] }]]));
 * anc.get(a.key)?.has(b.key) === true
 */
export function computeAncestors(
  nodes: ReadonlyMap<string, ParentLinks>,
  known?: (key: string) => ReadonlySet<string> | undefined,
): Map<string, ReadonlySet<string>> {
  const done = new Map<string, ReadonlySet<string>>();
  const onPath = new Set<string>();
  let total = 0;

  for (const start of nodes.keys()) {
    if (done.has(start)) continue;
    // Explicit DFS stack: [key, index of the next parent to visit].
    const stack: [string, number][] = [[start, 0]];
    onPath.add(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [string, number];
      const node = nodes.get(top[0]) as ParentLinks;
      if (top[1] < node.parents.length) {
        const p = (node.parents[top[1]++] as EntityUID).key;
        if (onPath.has(p)) throw cycleError(stack.map(([k]) => nodes.get(k)?.uid.toString() ?? k), nodes.get(p)?.uid.toString() ?? p);
        if (!done.has(p) && nodes.has(p)) {
          stack.push([p, 0]);
          onPath.add(p);
        }
        continue;
      }
      stack.pop();
      onPath.delete(top[0]);
      const set = ancestorsOf(node, nodes, done, known);
      total += set.size;
      if (total > MAX_CLOSURE_ENTRIES) {
        throw new PolicyError('PCL_POLICY_ENTITY_INVALID', `the entity hierarchy is too large to index (more than ${MAX_CLOSURE_ENTRIES} ancestor links in all)`);
      }
      done.set(top[0], set);
    }
  }
  return done;
}

function ancestorsOf(
  node: ParentLinks,
  nodes: ReadonlyMap<string, ParentLinks>,
  done: ReadonlyMap<string, ReadonlySet<string>>,
  known: ((key: string) => ReadonlySet<string> | undefined) | undefined,
): ReadonlySet<string> {
  if (node.parents.length === 0) return NO_ANCESTORS;
  const out = new Set<string>();
  for (const p of node.parents) {
    out.add(p.key);
    const inherited = nodes.has(p.key) ? done.get(p.key) : known?.(p.key);
    if (inherited !== undefined) for (const a of inherited) out.add(a);
  }
  return out;
}

function cycleError(path: string[], back: string): PolicyError {
  const from = path.indexOf(back);
  const cycle = [...path.slice(from < 0 ? 0 : from), back].join(' -> ');
  return new PolicyError('PCL_POLICY_ENTITY_CYCLE', `cycle: ${cycle}`, { details: [{ message: `cycle: ${cycle}` }] });
}
