import {
  type CycleRecord,
  createSolarSystem,
  type LearningSettingsInput,
  type SolarSystemConfig,
} from '@orrery/agents';
import type { Strategy } from '../loop/strategy.ts';
import type { RunTimer } from '../session/run-timer.ts';
import { SupervisionClock } from '../session/supervision-clock.ts';
import { openLearning } from './learning-session.ts';

/**
 * The same agents without any LLM: moons, deterministic planets and their consensus, risk rules (what
 * the solar system does when no gateway is given) — learning from their own outcomes like the run did,
 * in memory, when `learning` is given. The counterfactual of an LLM run. `supervision` (default: the
 * wall clock) should follow the run's recorded supervision times, so children stop at the same steps.
 * With `timer`, its learner's refreshes are charged to `learning`.
 */
export function noLlmStrategy(
  agents: SolarSystemConfig,
  learning: LearningSettingsInput | false,
  supervision: SupervisionClock = SupervisionClock.unrecorded(),
  timer?: RunTimer,
): Strategy<CycleRecord> {
  const session =
    learning === false
      ? null
      : openLearning({
          path: ':memory:',
          scope: 'counterfactual',
          agents,
          settings: learning,
          fresh: true,
          timer,
        });
  const system = createSolarSystem({
    config: agents,
    gateway: null,
    clock: supervision.clock,
    log: () => undefined,
    tuning: session?.tuning ?? null,
  });
  const plain: Strategy<CycleRecord> = {
    cycle: (input) => {
      supervision.step(input.bar.time);
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
