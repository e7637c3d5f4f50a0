import { LearningStore } from './learning-store.ts';
import { PromptStore } from './prompt-store.ts';

/**
 * Removes what was learned under `scope` from the learning file at `path` (e.g. `orrery runs rm`): the
 * learner's outcomes, tallies, parameters and changes, and — when `promptPrefix` is given — the prompt
 * experiments whose ids start with it (the runner names a run's experiments `<run id>:<prompt id>`).
 * Other scopes are not touched.
 *
 * @returns the rows removed, learner's and prompt experiments'.
 */
export function forgetLearning(
  path: string,
  o: { readonly scope: string; readonly promptPrefix?: string | undefined },
): { learning: number; prompts: number } {
  const learning = new LearningStore(path);
  try {
    const prompts = new PromptStore(path);
    try {
      return {
        learning: learning.clear(o.scope),
        prompts: o.promptPrefix === undefined ? 0 : prompts.clearPrefix(o.promptPrefix),
      };
    } finally {
      prompts.close();
    }
  } finally {
    learning.close();
  }
}
