/** What a cycle record says about routing and the bus (the fields this summary reads). */
export interface RoutedCycle {
  readonly mode: string;
  readonly route?: { readonly leaves: readonly string[]; readonly planets: readonly string[] } | undefined;
  readonly planets?: readonly { readonly planet: string; readonly status: string }[] | undefined;
  readonly messages?: readonly { readonly type: string; readonly count: number }[] | undefined;
}

/** How a run's reasoning cycles were routed and what travelled on its bus. */
export interface RouteSummary {
  /** Cycles in `LIGHT_REASONING` or `FULL_AGENT`. */
  readonly reasoningCycles: number;
  /** Reasoning cycles with a route (a routing tree is configured; the default one is). */
  readonly routedCycles: number;
  /** Per leaf of the tree: the reasoning cycles whose query reached it. */
  readonly leaves: Readonly<Record<string, number>>;
  /** Per planet: reasoning cycles that consulted it, and those in which it timed out. */
  readonly planets: Readonly<Record<string, { consulted: number; timedOut: number }>>;
  /** Messages by type over the whole run. */
  readonly messages: Readonly<Record<string, number>>;
}

/** Sums the routes, consults, timeouts and bus messages of a run's cycle records. */
export function routeSummary(cycles: readonly RoutedCycle[]): RouteSummary {
  let reasoningCycles = 0;
  let routedCycles = 0;
  const leaves: Record<string, number> = {};
  const planets: Record<string, { consulted: number; timedOut: number }> = {};
  const messages: Record<string, number> = {};
  for (const c of cycles) {
    for (const m of c.messages ?? []) messages[m.type] = (messages[m.type] ?? 0) + m.count;
    if (c.mode === 'MONITOR_ONLY') continue;
    reasoningCycles++;
    if (c.route !== undefined) {
      routedCycles++;
      for (const l of c.route.leaves) leaves[l] = (leaves[l] ?? 0) + 1;
    }
    for (const p of c.planets ?? []) {
      const row = planets[p.planet] ?? { consulted: 0, timedOut: 0 };
      row.consulted++;
      if (p.status === 'timeout') row.timedOut++;
      planets[p.planet] = row;
    }
  }
  return { reasoningCycles, routedCycles, leaves, planets, messages };
}
