import { z } from 'zod';
import {
  DEFAULT_JUDGMENT_TASKS,
  DEFAULT_LOCAL_BASE_URL,
  DEFAULT_PROVIDERS,
  DEFAULT_TRIVIAL_TASKS,
} from './defaults.ts';

/** One provider endpoint. */
export const providerConfigSchema = z.strictObject({
  /** Wire format: `openai` (chat completions: OpenAI, Ollama `/v1`, vLLM, llama.cpp, OpenRouter) or `anthropic`. */
  kind: z.enum(['openai', 'anthropic']).default('openai'),
  /** For `openai`, including the API prefix (`…/v1`); for `anthropic`, without it. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Secret; never logged, never in errors or the ledger. */
  apiKey: z.string().min(1).optional(),
  /** Time limit of one call (connection, headers and body), in ms (default 30,000). */
  timeoutMs: z.number().int().positive().default(30_000),
  /** A local model: cost 0, never used for judgment tasks (default false). */
  local: z.boolean().default(false),
});

/** A provider and model. */
export const targetSchema = z.strictObject({ provider: z.string().min(1), model: z.string().min(1) });

/** USD per 1,000 tokens. */
export const priceSchema = z.strictObject({
  inputPer1k: z.number().nonnegative(),
  outputPer1k: z.number().nonnegative(),
});

/** How one task type is routed. */
export const routingRuleSchema = z.strictObject({
  /** Candidates, most preferred first. */
  prefer: z.array(targetSchema).default([]),
  /** Skip candidates whose input or output price per 1k tokens exceeds this (USD). Unpriced paid models are skipped too. */
  maxCostPer1k: z.number().nonnegative().optional(),
  /**
   * May resolution go past the first candidate when it is cooling down or over cost, and may a critical
   * request move to the next candidate after a 429 (default true)? With `false` only `prefer[0]` is used.
   */
  fallback: z.boolean().default(true),
  /** Overrides the task lists: `judgment` never goes local; `trivial` goes local when enabled. */
  trust: z.enum(['judgment', 'trivial']).optional(),
});

const taskList = z.array(z.string().min(1));

/**
 * The gateway's whole configuration. Every field has a default: `parseGatewayConfig({})` is valid
 * (with the public OpenAI and Anthropic endpoints, no keys, so nothing reachable).
 */
export const gatewayConfigSchema = z
  .strictObject({
    /** Named endpoints (default: `openai`, `anthropic`). The trivial-task provider is added from `routing.localBaseUrl` when missing. */
    providers: z.record(z.string().min(1), providerConfigSchema).prefault({ ...DEFAULT_PROVIDERS }),
    /** USD per 1k tokens by `provider/model`, merged over {@link DEFAULT_PRICES}. Local providers cost 0. */
    prices: z.record(z.string().min(1), priceSchema).default({}),
    /** The global budget over a rolling hour. */
    budget: z
      .strictObject({
        maxCallsPerHour: z.number().int().nonnegative().default(600),
        /** Tokens in + out (estimated before, actual after). */
        maxTokensPerHour: z.number().int().nonnegative().default(2_000_000),
        /** Calls only critical requests may use. */
        reserveCalls: z.number().int().nonnegative().default(30),
        /** Tokens only critical requests may use. */
        reserveTokens: z.number().int().nonnegative().default(100_000),
      })
      .prefault({}),
    /** Cooldown after a 429: `baseMs × 2^(k-1)` for the k-th consecutive 429, at most `maxMs`; `Retry-After` is a floor. */
    cooldown: z
      .strictObject({
        baseMs: z.number().int().positive().default(30_000),
        maxMs: z.number().int().positive().default(900_000),
      })
      .prefault({}),
    /** Request defaults. */
    request: z
      .strictObject({
        /** Answer token cap when a request sets none (also the pre-call estimate's answer part). */
        maxTokens: z.number().int().positive().default(1024),
        /** Temperature when a request sets none. */
        temperature: z.number().min(0).max(2).default(0.2),
      })
      .prefault({}),
    routing: z
      .strictObject({
        /** Rules by task type. */
        rules: z.record(z.string().min(1), routingRuleSchema).default({}),
        /** The rule for tasks without one. */
        default: routingRuleSchema.prefault({ prefer: [{ provider: 'openai', model: 'gpt-4o-mini' }] }),
        trivialTasks: taskList.default([...DEFAULT_TRIVIAL_TASKS]),
        judgmentTasks: taskList.default([...DEFAULT_JUDGMENT_TASKS]),
        /** The provider name of the local model (created from `localBaseUrl` when not in `providers`). */
        trivialTaskProvider: z.string().min(1).default('ollama'),
        trivialTaskModel: z.string().min(1).default('llama3.2:3b'),
        /** OpenAI-compatible base URL of the local model server (Ollama: `http://127.0.0.1:11434/v1`). */
        localBaseUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          .default(DEFAULT_LOCAL_BASE_URL),
        trivial: z
          .strictObject({
            /** Route trivial tasks to the local model (default false: opt in once it runs). */
            enabled: z.boolean().default(false),
            /** Answer token cap for trivial tasks on the local model. */
            maxTokens: z.number().int().positive().default(512),
            temperature: z.number().min(0).max(2).default(0),
            /** Time limit of local calls, in ms. */
            timeoutMs: z.number().int().positive().default(20_000),
          })
          .prefault({}),
      })
      .prefault({}),
    cache: z
      .strictObject({
        /** TTL when a request asks for caching without one, in ms (default 5 minutes). */
        defaultTtlMs: z.number().int().positive().default(300_000),
      })
      .prefault({}),
    ledger: z
      .strictObject({
        /** The paid model savings are measured against. */
        referenceModel: z
          .strictObject({
            name: z.string().min(1),
            inputPer1k: z.number().nonnegative(),
            outputPer1k: z.number().nonnegative(),
          })
          .default({ name: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01 }),
      })
      .prefault({}),
    /** Connection pools (one undici Pool per origin). */
    http: z
      .strictObject({
        connections: z.number().int().positive().default(64),
        keepAliveTimeoutMs: z.number().int().positive().default(30_000),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.budget.reserveCalls > c.budget.maxCallsPerHour)
      issue(
        ['budget', 'reserveCalls'],
        `must not exceed budget.maxCallsPerHour (${c.budget.maxCallsPerHour})`,
      );
    if (c.budget.reserveTokens > c.budget.maxTokensPerHour)
      issue(
        ['budget', 'reserveTokens'],
        `must not exceed budget.maxTokensPerHour (${c.budget.maxTokensPerHour})`,
      );
    if (c.cooldown.baseMs > c.cooldown.maxMs)
      issue(['cooldown', 'baseMs'], `must not exceed cooldown.maxMs (${c.cooldown.maxMs})`);
    for (const key of Object.keys(c.prices)) {
      if (!/^[^/]+\/.+$/.test(key)) issue(['prices', key], 'key must be "provider/model"');
    }
    const r = c.routing;
    const both = r.trivialTasks.filter((t) => r.judgmentTasks.includes(t));
    if (both.length > 0)
      issue(['routing', 'trivialTasks'], `tasks cannot be both trivial and judgment: ${both.join(', ')}`);
    const isLocal = (p: string) => p === r.trivialTaskProvider || c.providers[p]?.local === true;
    const known = (p: string) => p in c.providers || p === r.trivialTaskProvider;
    const checkRule = (rule: z.output<typeof routingRuleSchema>, path: PropertyKey[], judgment: boolean) => {
      rule.prefer.forEach((t, i) => {
        if (!known(t.provider))
          issue([...path, 'prefer', i, 'provider'], `unknown provider "${t.provider}" (not in providers)`);
        else if (judgment && isLocal(t.provider))
          issue(
            [...path, 'prefer', i, 'provider'],
            `a judgment task may not prefer the local provider "${t.provider}"`,
          );
      });
    };
    for (const [task, rule] of Object.entries(r.rules)) {
      const judgment =
        rule.trust === 'judgment' || (rule.trust === undefined && r.judgmentTasks.includes(task));
      checkRule(rule, ['routing', 'rules', task], judgment);
    }
    checkRule(r.default, ['routing', 'default'], false);
  });

/** The gateway configuration as written (every field optional). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** The parsed gateway configuration (defaults applied, env overrides merged, prices merged). */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** One provider's parsed configuration. */
export type ProviderConfig = z.output<typeof providerConfigSchema>;

/** One routing rule, parsed. */
export type RoutingRule = z.output<typeof routingRuleSchema>;
