import { type GatewayConfig, type ModelTarget, RoutingPolicy } from '@orrery/core';

/** The prefix of task aliases: `orrery/<task>` asks for a task type and lets the routing policy choose. */
export const ALIAS_PREFIX = 'orrery/';

/** The task of a request naming a concrete model, unless the `x-orrery-task` header names another. */
export const DEFAULT_COMPAT_TASK = 'chat';

/** What a wire request's `model` names: a task (routed) or a pinned pair, and the task either way. */
export interface ResolvedModel {
  task: string;
  target: ModelTarget | undefined;
}

/** Why a `model` could not be resolved. */
export interface ModelProblem {
  status: 403 | 404;
  message: string;
}

/** One entry of `GET /v1/models`. */
export interface ListedModel {
  id: string;
  /** `orrery` for task aliases, the provider's name for concrete models. */
  ownedBy: string;
}

/**
 * What the OpenAI- and Anthropic-compatible routes accept as `model`, from the gateway's routing policy:
 * - `orrery/<task>`: any task type the policy can serve (its rule, or `routing.default`);
 * - `provider/model`: a pair the configuration routes to somewhere (a rule's or the default's `prefer`
 *   list, or the trivial-task model) — policy, cooldowns and the task's trust still apply;
 * - a bare model name, when exactly one such pair has it (`gpt-4o-mini` → `openai/gpt-4o-mini`).
 * A key bound to task types sees and may use only those.
 */
export class ModelCatalog {
  readonly #policy: RoutingPolicy;
  readonly #tasks: readonly string[];
  readonly #pairs: readonly ModelTarget[];

  constructor(config: GatewayConfig) {
    this.#policy = new RoutingPolicy(config);
    const r = config.routing;
    const tasks = new Set<string>([DEFAULT_COMPAT_TASK, ...Object.keys(r.rules)]);
    this.#tasks = [...tasks].filter((t) => this.#servable(t));
    const pairs = new Map<string, ModelTarget>();
    const add = (t: ModelTarget) => {
      if (t.provider in config.providers) pairs.set(`${t.provider}/${t.model}`, t);
    };
    for (const t of r.default.prefer) add(t);
    for (const rule of Object.values(r.rules)) for (const t of rule.prefer) add(t);
    if (r.trivial.enabled) add({ provider: r.trivialTaskProvider, model: r.trivialTaskModel });
    this.#pairs = [...pairs.values()];
  }

  #servable(task: string): boolean {
    try {
      return this.#policy.plan(task).candidates.length > 0;
    } catch {
      return false;
    }
  }

  /** The models a caller allowed `tasks` (every task when `undefined`) may name. */
  list(tasks?: readonly string[]): ListedModel[] {
    const allowed = (t: string) => tasks === undefined || tasks.includes(t);
    const aliases = [...new Set([...this.#tasks, ...(tasks ?? [])])]
      .filter((t) => allowed(t) && this.#servable(t))
      .map((t) => ({ id: `${ALIAS_PREFIX}${t}`, ownedBy: 'orrery' }));
    const pairs = allowed(DEFAULT_COMPAT_TASK)
      ? this.#pairs.map((p) => ({ id: `${p.provider}/${p.model}`, ownedBy: p.provider }))
      : [];
    return [...aliases, ...pairs];
  }

  /**
   * Resolves a wire `model`. `taskHeader` (the `x-orrery-task` header) names the task of a concrete model.
   * @param tasks the task types the caller may use (`undefined`: any).
   */
  resolve(
    model: string,
    taskHeader: string | undefined,
    tasks: readonly string[] | undefined,
  ): ResolvedModel | ModelProblem {
    let resolved: ResolvedModel | undefined;
    if (model.startsWith(ALIAS_PREFIX)) {
      const task = model.slice(ALIAS_PREFIX.length);
      if (task === '' || !this.#servable(task)) {
        return {
          status: 404,
          message: `model ${JSON.stringify(model)}: no routing rule can serve task ${JSON.stringify(task)}; GET /v1/models lists what can`,
        };
      }
      resolved = { task, target: undefined };
    } else {
      const slash = model.indexOf('/');
      const matches =
        slash > 0
          ? this.#pairs.filter(
              (p) => p.provider === model.slice(0, slash) && p.model === model.slice(slash + 1),
            )
          : this.#pairs.filter((p) => p.model === model);
      const target = matches[0];
      if (matches.length > 1) {
        return {
          status: 404,
          message: `model ${JSON.stringify(model)} is served by ${matches.map((p) => p.provider).join(', ')}; name one as provider/model`,
        };
      }
      if (target === undefined) {
        return {
          status: 404,
          message: `model ${JSON.stringify(model)} is not routed by this server's policy; GET /v1/models lists what is`,
        };
      }
      resolved = { task: taskHeader ?? DEFAULT_COMPAT_TASK, target: { ...target } };
    }
    if (tasks !== undefined && !tasks.includes(resolved.task)) {
      return {
        status: 403,
        message: `this key may use the tasks ${tasks.join(', ')}, not ${JSON.stringify(resolved.task)}`,
      };
    }
    return resolved;
  }
}
