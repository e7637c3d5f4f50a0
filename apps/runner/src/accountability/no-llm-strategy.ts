import {
  type CycleRecord,
  createSolarSystem,
  type LearningSettingsInput,
  type SolarSystemConfig,
} from '@orrery/agents';
import { ManualClock } from '@orrery/core';
import type { Strategy } from '../loop/strategy.ts';
import { openLearning } from './learning-session.ts';

/**
 * The same agents without any LLM: moons, deterministic planets and their consensus, risk rules (what
 * the solar system does when no gateway is given) — learning from their own outcomes like the run did,
 * in memory, when `learning` is given. The counterfactual of an LLM run.
 */
export function noLlmStrategy(
  agents: SolarSystemConfig,
  learning: LearningSettingsInput | false,
): Strategy<CycleRecord> {
  const clock = new ManualClock(0);
  const session =
    learning === false
      ? null
      : openLearning({ path: ':memory:', scope: 'counterfactual', agents, settings: learning, fresh: true });
  const system = createSolarSystem({
    config: agents,
    gateway: null,
    clock,
    log: () => undefined,
    tuning: session?.tuning ?? null,
  });
  const plain: Strategy<CycleRecord> = {
    cycle: (input) => {
      if (input.bar.time > clock.now()) clock.set(input.bar.time);
      const { symbol, bar, portfolio, news } = input;
      return system.cycle(news === undefined ? { symbol, bar, portfolio } : { symbol, bar, portfolio, news });
    },
    stop: async () => {
      await system.stop();
      session?.close();
    },
  };
  return session === null ? plain : session.wrap(plain);
}
