export interface Demand {
  /** Attempts to this subscriber in flight in this process now. */
  readonly inFlight: number;
  /** Due deliveries it could start now (already capped by its concurrency). */
  readonly due: number;
}

/**
 * How many of `free` workers each subscriber gets this round: one worker at a time to the
 * subscriber with the fewest attempts in flight that still has due work, the earlier in the
 * list on a tie (callers rotate the list between rounds). A subscriber whose attempts hang keeps
 * the workers it holds but gets no more while another with fewer has work, so the others always
 * keep at least an even share; a subscriber alone with work may use every free worker.
 */
export function fairShares(demands: readonly Demand[], free: number): number[] {
  const shares = demands.map(() => 0);
  for (let worker = 0; worker < free; worker++) {
    let pick = -1;
    let pickLoad = Infinity;
    demands.forEach((demand, i) => {
      const load = demand.inFlight + (shares[i] ?? 0);
      if ((shares[i] ?? 0) < demand.due && load < pickLoad) {
        pick = i;
        pickLoad = load;
      }
    });
    if (pick < 0) break;
    shares[pick] = (shares[pick] ?? 0) + 1;
  }
  return shares;
}
