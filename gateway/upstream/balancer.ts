// Smooth weighted round-robin (the nginx algorithm): deterministic, spreads a heavy target's turns out
// instead of bunching them (weights 5,1,1 give a a b a c a a), and needs no randomness or clock.

export interface WeightedCandidate {
  readonly weight: number;
  /** Running weight owned by the balancer; starts at 0. */
  current: number;
  /** False while the target is ejected or failing active health checks. */
  readonly available: boolean;
}

/**
 * Pick the next candidate among the available ones not in `exclude`, or undefined when none is left.
 * Mutates the candidates' `current` weights; call it for every pick so the sequence stays smooth.
 *
 * @example const t = pickSmoothWeighted(targets, failedTarget)
 */
export function pickSmoothWeighted<T extends WeightedCandidate>(
  candidates: readonly T[],
  exclude?: T | readonly T[],
): T | undefined {
  let best: T | undefined;
  let total = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as T;
    if (!c.available || c.weight <= 0 || isExcluded(c, exclude)) continue;
    c.current += c.weight;
    total += c.weight;
    if (best === undefined || c.current > best.current) best = c;
  }
  if (best !== undefined) best.current -= total;
  return best;
}

function isExcluded<T>(c: T, exclude: T | readonly T[] | undefined): boolean {
  if (exclude === undefined) return false;
  if (Array.isArray(exclude)) return (exclude as readonly T[]).includes(c);
  return exclude === c;
}
