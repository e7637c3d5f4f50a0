import { type CycleRecord, createSolarSystem, type SolarSystemConfig } from '@orrery/agents';
import { ManualClock } from '@orrery/core';
import type { Strategy } from '../loop/strategy.ts';

/**
 * The same agents without any LLM: moons, deterministic planets and their consensus, risk rules (what
 * the solar system does when no gateway is given). The counterfactual of an LLM run.
 */
export function noLlmStrategy(agents: SolarSystemConfig): Strategy<CycleRecord> {
  const clock = new ManualClock(0);
  const system = createSolarSystem({ config: agents, gateway: null, clock, log: () => undefined });
  return {
    cycle: (input) => {
      if (input.bar.time > clock.now()) clock.set(input.bar.time);
      return system.cycle({ symbol: input.symbol, bar: input.bar, portfolio: input.portfolio });
    },
    stop: () => system.stop(),
  };
}
